/**
 * Stack configuration, validated before any resource is declared: `pulumi up` fails early
 * with one message naming every missing or invalid key and how to set it.
 */
import {
  AUDIT_RETENTION_DAYS,
  DEFAULT_LIMITS,
  ESCALATE_AFTER_HOURS,
  LINK_TTL_HOURS,
  PENDING_SHARDS,
  RATE_LIMIT,
  REMINDER_HOURS_BEFORE_EXPIRY,
  REQUIRED_APPROVALS,
  YEAR_HOURS,
} from '../src/approval/defaults';
import { isEmailAddress } from '../src/approval/domain/email-address';
import { MAX_REVIEWERS } from '../src/approval/domain/approval-request';

/**
 * A STANDARD execution lasts at most a year (8,760 hours). The approval step's timeout (the link
 * lifetime) must end before the execution does, or the execution ends first and the post never
 * reaches EXPIRED nor its author a word.
 */
export const MAX_LINK_TTL_HOURS = LINK_TTL_HOURS.max;
/** Reserved concurrency of the public posts Lambda unless configured. */
export const DEFAULT_POSTS_CONCURRENCY = 10;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]{1,128}$/;

export interface StackSettings {
  senderEmail: string;
  reviewers: string[];
  linkTtlHours: number;
  domain?: string;
  region: string;
  admins: string[];
  requiredApprovals: number;
  escalateTo: string[];
  escalateAfterHours?: number;
  reminderHoursBeforeExpiry: number;
  auditRetentionDays: number;
  /** Partitions of the pending index (grow only: see the README). */
  pendingShards: number;
  /** Where operator alarms are emailed; without it the alarm topic has no subscriber yet. */
  alarmEmail?: string;
  /** Create the SES identity for the sender (false: it exists already, verified, perhaps shared with another stack). */
  createSenderIdentity: boolean;
  /** The ACM certificate for `domain`, used as given (a wildcard or multi-name certificate works). */
  certificateArn?: string;
  /**
   * Where the blog example keeps its posts: `own`, its own table (the default), or `shared`, the
   * approval table, as stacks deployed before the example had its own table did (see the README's
   * "Upgrading a stack from before the posts table").
   */
  postsTable: 'own' | 'shared';
  /** Reserved concurrency of the public posts Lambda, or undefined for none (`off`). */
  postsConcurrency?: number;
  /** Abuse limits (0: none): new posts per author address and per client per hour, sign-in emails per address per 15 minutes. */
  postsPerAuthorPerHour: number;
  postsPerClientPerHour: number;
  signInsPerAddressPer15Minutes: number;
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid stack configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** `get` reads a fully qualified key such as `email-approval:senderEmail` (or `aws:region`). */
export function readSettings(get: (key: string) => string | undefined): StackSettings {
  const problems: string[] = [];
  const need = (key: string, example: string) => {
    const value = get(key)?.trim();
    if (!value) problems.push(`${key} is required: pulumi config set ${key} ${example}`);
    return value ?? '';
  };

  const senderEmail = need('email-approval:senderEmail', 'approvals@example.com');
  if (senderEmail && !isEmailAddress(senderEmail)) problems.push(`email-approval:senderEmail must be an email address, got ${JSON.stringify(senderEmail)}`);

  const reviewerList = need('email-approval:reviewers', 'alice@example.com,bob@example.com');
  const reviewers = reviewerList.split(',').map((r) => r.trim().toLowerCase()).filter(Boolean);
  const badReviewers = reviewers.filter((r) => !isEmailAddress(r));
  if (reviewerList && (reviewers.length === 0 || badReviewers.length > 0)) {
    problems.push(`email-approval:reviewers must be comma-separated email addresses${badReviewers.length ? `; not addresses: ${badReviewers.join(', ')}` : ''}`);
  }
  // The same limit the request Lambda enforces: more would pass here and fail every request.
  if (new Set(reviewers).size > MAX_REVIEWERS) problems.push(`email-approval:reviewers lists ${new Set(reviewers).size} addresses; an approval request takes at most ${MAX_REVIEWERS}`);

  const ttlText = get('email-approval:linkTtlHours')?.trim();
  const linkTtlHours = ttlText ? Number(ttlText) : LINK_TTL_HOURS.default;
  if (!Number.isInteger(linkTtlHours) || linkTtlHours < LINK_TTL_HOURS.min || linkTtlHours > MAX_LINK_TTL_HOURS) {
    problems.push(
      `email-approval:linkTtlHours must be a whole number of hours from ${LINK_TTL_HOURS.min} to ${MAX_LINK_TTL_HOURS} (a workflow execution lasts at most ${YEAR_HOURS.toLocaleString('en')} hours, and the links must expire before it ends so that the post can expire and its author be told), got ${JSON.stringify(ttlText)}`,
    );
  }

  const domain = get('email-approval:domain')?.trim() || undefined;
  if (domain && !DOMAIN.test(domain)) problems.push(`email-approval:domain must be a host name such as approvals.example.com, got ${JSON.stringify(domain)}`);

  const region = need('aws:region', 'eu-west-1');

  const addresses = (key: string) => {
    const list = (get(key) ?? '').split(',').map((r) => r.trim().toLowerCase()).filter(Boolean);
    const bad = list.filter((r) => !isEmailAddress(r));
    if (bad.length > 0) problems.push(`${key} must be comma-separated email addresses; not addresses: ${bad.join(', ')}`);
    return [...new Set(list)];
  };
  const whole = (key: string, fallback: number | undefined, min: number, max: number, unit: string) => {
    const text = get(key)?.trim();
    if (!text) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${key} must be a whole number of ${unit} from ${min} to ${max}, got ${JSON.stringify(text)}`);
    return n;
  };
  const admins = addresses('email-approval:admins');
  const escalateTo = addresses('email-approval:escalateTo');
  if (escalateTo.length > MAX_REVIEWERS) problems.push(`email-approval:escalateTo lists ${escalateTo.length} addresses; at most ${MAX_REVIEWERS}`);
  const requiredApprovals = whole('email-approval:requiredApprovals', REQUIRED_APPROVALS.default, REQUIRED_APPROVALS.min, MAX_REVIEWERS, 'approvals')!;
  const reviewerCount = new Set(reviewers).size;
  if (Number.isInteger(requiredApprovals) && reviewerCount > 0 && requiredApprovals > reviewerCount) {
    problems.push(`email-approval:requiredApprovals (${requiredApprovals}) cannot exceed the number of reviewers (${reviewerCount})`);
  }
  const escalateAfterHours = whole('email-approval:escalateAfterHours', escalateTo.length > 0 ? ESCALATE_AFTER_HOURS.default : undefined, ESCALATE_AFTER_HOURS.min, ESCALATE_AFTER_HOURS.max, 'hours');
  // Unset: the default before expiry, or halfway through a shorter review period.
  const reminderSet = Boolean(get('email-approval:reminderHoursBeforeExpiry')?.trim());
  const reminder = REMINDER_HOURS_BEFORE_EXPIRY;
  const reminderDefault = Number.isInteger(linkTtlHours) ? Math.max(1, Math.min(reminder.default, Math.floor(linkTtlHours / 2))) : reminder.default;
  const reminderHoursBeforeExpiry = whole('email-approval:reminderHoursBeforeExpiry', reminderDefault, 1, reminder.max, 'hours')!;
  const auditRetentionDays = whole('email-approval:auditRetentionDays', AUDIT_RETENTION_DAYS.default, AUDIT_RETENTION_DAYS.min, AUDIT_RETENTION_DAYS.max, 'days')!;
  const pendingShards = whole('email-approval:pendingShards', PENDING_SHARDS.default, PENDING_SHARDS.min, PENDING_SHARDS.max, 'shards')!;
  const alarmEmail = get('email-approval:alarmEmail')?.trim() || undefined;
  if (alarmEmail && !isEmailAddress(alarmEmail)) problems.push(`email-approval:alarmEmail must be an email address, got ${JSON.stringify(alarmEmail)}`);
  const ttlValid = Number.isInteger(linkTtlHours) && linkTtlHours >= LINK_TTL_HOURS.min && linkTtlHours <= MAX_LINK_TTL_HOURS;
  if (ttlValid) {
    if (escalateAfterHours !== undefined && escalateAfterHours >= linkTtlHours) problems.push(`email-approval:escalateAfterHours (${escalateAfterHours}) must be less than linkTtlHours (${linkTtlHours}), or nobody is ever added`);
    if (reminderSet && reminderHoursBeforeExpiry >= linkTtlHours) problems.push(`email-approval:reminderHoursBeforeExpiry (${reminderHoursBeforeExpiry}) must be less than linkTtlHours (${linkTtlHours})`);
  }

  const identityText = get('email-approval:createSenderIdentity')?.trim().toLowerCase();
  if (identityText && identityText !== 'true' && identityText !== 'false') problems.push(`email-approval:createSenderIdentity must be true or false, got ${JSON.stringify(identityText)}`);
  const createSenderIdentity = identityText !== 'false';

  const postsTableText = get('email-approval:postsTable')?.trim().toLowerCase();
  if (postsTableText && postsTableText !== 'own' && postsTableText !== 'shared') problems.push(`email-approval:postsTable must be own or shared, got ${JSON.stringify(postsTableText)}`);
  const postsTable = postsTableText === 'shared' ? 'shared' : 'own';

  const certificateArn = get('email-approval:certificateArn')?.trim() || undefined;
  if (certificateArn && !CERTIFICATE_ARN.test(certificateArn)) problems.push(`email-approval:certificateArn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got ${JSON.stringify(certificateArn)}`);
  if (certificateArn && !domain) problems.push('email-approval:certificateArn is used only with email-approval:domain: set the domain too, or remove the certificate');

  const concurrencyText = get('email-approval:postsConcurrency')?.trim().toLowerCase();
  const postsConcurrency = concurrencyText === 'off' ? undefined : whole('email-approval:postsConcurrency', DEFAULT_POSTS_CONCURRENCY, 1, 1000, 'concurrent executions (or off)');

  // Abuse limits: whole numbers, 0 turning one off.
  const postsPerAuthorPerHour = whole('email-approval:postsPerAuthorPerHour', DEFAULT_LIMITS.postsPerAuthorPerHour, RATE_LIMIT.min, RATE_LIMIT.max, 'posts (0: no limit)')!;
  const postsPerClientPerHour = whole('email-approval:postsPerClientPerHour', DEFAULT_LIMITS.postsPerClientPerHour, RATE_LIMIT.min, RATE_LIMIT.max, 'posts (0: no limit)')!;
  const signInsPerAddressPer15Minutes = whole('email-approval:signInsPerAddressPer15Minutes', DEFAULT_LIMITS.signInsPerAddressPer15Minutes, RATE_LIMIT.min, RATE_LIMIT.max, 'sign-in emails (0: no limit)')!;

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    senderEmail,
    reviewers: [...new Set(reviewers)],
    linkTtlHours,
    domain,
    region,
    admins,
    requiredApprovals,
    escalateTo,
    escalateAfterHours,
    reminderHoursBeforeExpiry,
    auditRetentionDays,
    pendingShards,
    alarmEmail,
    createSenderIdentity,
    certificateArn,
    postsTable,
    postsConcurrency,
    postsPerAuthorPerHour,
    postsPerClientPerHour,
    signInsPerAddressPer15Minutes,
  };
}
