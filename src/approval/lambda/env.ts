/**
 * The approval core's Lambdas' environments, one schema each: read by the Lambda at cold start
 * (`read`) and written by the Pulumi component and local mode (`toEnvironment`), so a variable's
 * name, default and limits are declared here only. The dashboard's, with its own parsers, is in
 * admin-env.ts, out of the other functions' bundles.
 */
import { REQUEST_TABLE_ENV, defineEnv, hours, optional, required } from '../config';
import { REMINDER_HOURS_BEFORE_EXPIRY } from '../defaults';

/** The request Lambda: seals the token, stores the request, emails the reviewers. */
export const REQUEST_ENV = defineEnv({
  ...REQUEST_TABLE_ENV,
  TOKEN_KEY_ID: required(),
  MAC_SECRET_ID: required(),
  SENDER_EMAIL: required(),
  REVIEW_URL: required(),
  SES_CONFIGURATION_SET: optional(),
});

/** The link Lambda. Without SENDER_EMAIL, reviewers who had not answered get no "no action needed" note. */
export const REVIEW_ENV = defineEnv({
  ...REQUEST_TABLE_ENV,
  TOKEN_KEY_ID: required(),
  MAC_SECRET_ID: required(),
  SENDER_EMAIL: optional(),
});

/** The sweeper Lambda: reminders, escalation, expiry and crash recovery. */
export const SWEEPER_ENV = defineEnv({
  ...REQUEST_ENV,
  REMINDER_HOURS_BEFORE_EXPIRY: hours(REMINDER_HOURS_BEFORE_EXPIRY),
});

/** The closer of ended executions' requests. */
export const CLOSER_ENV = defineEnv({
  ...REQUEST_TABLE_ENV,
  SENDER_EMAIL: required(),
  SES_CONFIGURATION_SET: optional(),
});
