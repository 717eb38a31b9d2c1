/** Local mode's settings: the options `npm start` and the tests pass, the team settings checked as `pulumi up` checks them, and the names and ARNs it uses. */
import { ESCALATE_AFTER_HOURS, LINK_TTL_HOURS, REMINDER_HOURS_BEFORE_EXPIRY, REQUIRED_APPROVALS } from '../approval/defaults';

export interface LocalStackOptions {
  /** API and pages (0 = any free port). */
  port?: number;
  /** SES API and the reviewers' inbox (0 = any free port). */
  inboxPort?: number;
  /** The one AWS endpoint every service answers on (0, the default here, = any free port; `npm start` uses 4566). */
  awsPort?: number;
  dataDir?: string;
  reviewers?: string[];
  /** Who may sign in to the dashboard at /admin (default admin@example.com); their links land in the same inbox. */
  admins?: string[];
  linkTtlHours?: number;
  /** Powertools log level for the handlers (default WARN: the console stays readable). */
  logLevel?: string;
  /** How often the sweeper runs (reminders, escalation, expiry, recovery); 0 turns it off. Default 60. */
  sweepSeconds?: number;
  /** Reminder time before expiry (default 24). */
  reminderHoursBeforeExpiry?: number;
  /** Shards of the pending index (default 16); every Lambda gets the same value, as on AWS. */
  pendingShards?: number;
  /** Distinct approvals that approve a post (default 1), as the stack key requiredApprovals. */
  requiredApprovals?: number;
  /** Reviewers added when nobody has decided after `escalateAfterHours` (default 48 with them). */
  escalateTo?: string[];
  escalateAfterHours?: number;
  /** Abuse limits, as the Lambdas' variables of the same names; 0 (the default here) turns one off. */
  postsPerAuthorPerHour?: number;
  postsPerClientPerHour?: number;
  signInsPerAddressPer15Minutes?: number;
}

/** The team settings, checked as `pulumi up` checks them: a mistake stops local mode before it starts. */
export function teamSettings(options: LocalStackOptions, reviewers: string[]) {
  const problems: string[] = [];
  const ttlHours = options.linkTtlHours ?? LINK_TTL_HOURS.default;
  const required = options.requiredApprovals ?? REQUIRED_APPROVALS.default;
  if (!Number.isInteger(required) || required < 1 || required > reviewers.length) problems.push(`REQUIRED_APPROVALS must be a whole number from 1 to the number of reviewers (${reviewers.length})`);
  const escalateTo = options.escalateTo ?? [];
  const after = options.escalateAfterHours ?? (escalateTo.length > 0 ? ESCALATE_AFTER_HOURS.default : undefined);
  if (after !== undefined && (!(after * 3600 >= 60) || after >= ttlHours)) problems.push(`ESCALATE_AFTER_HOURS must be at least a minute (0.0167) and less than LINK_TTL_HOURS (${ttlHours})`);
  // Unset, the reminder comes at its default time before expiry, or halfway through a shorter review period.
  const remind = options.reminderHoursBeforeExpiry ?? Math.min(REMINDER_HOURS_BEFORE_EXPIRY.default, ttlHours / 2);
  if (options.reminderHoursBeforeExpiry !== undefined && (!(remind * 3600 >= 60) || remind >= ttlHours)) {
    problems.push(`REMINDER_HOURS_BEFORE_EXPIRY must be at least a minute and less than LINK_TTL_HOURS (${ttlHours})`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    requiredApprovals: required,
    ...(escalateTo.length > 0 ? { escalateTo, escalateAfterSeconds: Math.round(after! * 3600) } : {}),
    remindBeforeSeconds: Math.round(remind * 3600),
  };
}

/** The account and region local mode's ARNs are in, and the names of its state machine, tables and sender. */
export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
export const LOCAL_SENDER = 'approvals@example.com';
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:email-approval-moderation`;
export const TABLE = 'email-approval';
/** The blog example's own table (posts, Idempotency-Keys, its counters). */
export const POSTS_TABLE = 'email-approval-posts';
