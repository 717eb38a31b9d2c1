/**
 * Every default and limit of the deployment's settings, once: the Lambdas' environment schemas,
 * the Pulumi component and stack settings, local mode, the tests and the bench all read them
 * here. Pure values (no AWS), so domain, services and adapters may import them too.
 *
 * A setting with limits is `{ default, min, max }`; the limits are what the Lambda accepts at
 * cold start (a stack key may be narrower, see the stack settings).
 */
import { DECISION_LEASE_SECONDS } from './domain/lifecycle';
import { DEFAULT_PENDING_SHARDS, MAX_PENDING_SHARDS } from './domain/pending-index';
import { DEFAULT_LIMITS, HOUR_SECONDS, MAX_RATE_LIMIT } from './domain/rate-limit';

export { HOUR_SECONDS };
export const DAY_SECONDS = 24 * HOUR_SECONDS;
/** A STANDARD execution, and so an approval task, lasts at most a year: 8,760 hours. */
export const YEAR_HOURS = 365 * 24;

/** Days a request and its audit trail outlive its links (AUDIT_RETENTION_DAYS, `auditRetentionDays`). */
export const AUDIT_RETENTION_DAYS = { default: 365, min: 1, max: 3650 } as const;
/** The same default in seconds, for the stores' TTL. */
export const DEFAULT_RETENTION_SECONDS = AUDIT_RETENTION_DAYS.default * DAY_SECONDS;

/**
 * Hours before expiry that reviewers who have not answered are reminded
 * (REMINDER_HOURS_BEFORE_EXPIRY, `reminderHoursBeforeExpiry`): fractions allowed, above 0.
 */
export const REMINDER_HOURS_BEFORE_EXPIRY = { default: 24, max: YEAR_HOURS } as const;
/** The reminder default in seconds, when neither the request nor the configuration says otherwise. */
export const DEFAULT_REMIND_BEFORE_SECONDS = REMINDER_HOURS_BEFORE_EXPIRY.default * HOUR_SECONDS;

/**
 * How long a decider (the link or dashboard Lambda, or a recovering sweeper) owns a DECIDING
 * request's delivery after its conditional write: a rule of the request lifecycle, kept there.
 * Every Lambda that decides has a timeout below it, so a live decider is never overtaken.
 */
export { DECISION_LEASE_SECONDS };

/** Partitions of the pending index (PENDING_SHARDS, `pendingShards`). */
export const PENDING_SHARDS = { default: DEFAULT_PENDING_SHARDS, min: 1, max: MAX_PENDING_SHARDS } as const;

/**
 * Abuse limits on AWS (0 turns one off): new posts per author address and per client per hour,
 * sign-in emails per address per 15 minutes. Local mode sets none unless told.
 */
export { DEFAULT_LIMITS };
export const RATE_LIMIT = { min: 0, max: MAX_RATE_LIMIT } as const;

/** How long review links work when the stack or local mode does not say (`linkTtlHours`, LINK_TTL_HOURS). */
export const LINK_TTL_HOURS = { default: 7 * 24, min: 1, max: YEAR_HOURS - 1 } as const;
/** Hours until reviewers are added, when someone to escalate to is configured (`escalateAfterHours`). */
export const ESCALATE_AFTER_HOURS = { default: 48, min: 1, max: YEAR_HOURS } as const;
/** Distinct approvals that approve (`requiredApprovals`, REQUIRED_APPROVALS); at most the number of reviewers. */
export const REQUIRED_APPROVALS = { default: 1, min: 1 } as const;

/** Days the Lambdas' and the API's log groups keep their logs (`logRetentionDays`). */
export const LOG_RETENTION_DAYS = 30;
/** API-wide throttling of the HTTP API (`throttle`): bounds what junk traffic (forged links) can cost. */
export const API_THROTTLE = { burstLimit: 50, rateLimit: 25 } as const;

/** How often the sweeper runs on AWS (`sweepMinutes`), and in local mode (SWEEP_SECONDS). */
export const SWEEP_MINUTES = 15;
export const LOCAL_SWEEP_SECONDS = 60;
/** The sweeper Lambda's timeout, under the decision lease; a run without a Lambda context (local mode) gets as long. */
export const SWEEPER_TIMEOUT_SECONDS = 55;
/** The link and dashboard Lambdas' timeout: well under the decision lease. */
export const DECIDER_TIMEOUT_SECONDS = 15;
