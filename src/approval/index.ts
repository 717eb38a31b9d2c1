/**
 * The approval core's runtime API: the task contract a state machine uses, and the building
 * blocks a consumer's own Lambdas share with the service's (errors with stable codes, input
 * validation, logging, configuration, the HTTP handler wrapper and its error answers, abuse limits, email rendering and sending).
 * The blog example, and the package's `email-approval` entry, use the core only through here.
 */
export * from './task-contract';
export { ApprovalError, toApprovalError, type ErrorCode, type ErrorReason } from './domain/errors';
export { codePointLength, email, line, maxChars, optionalText, problemsOf, text, wellFormed } from './domain/validation';
export { isEmailAddress } from './domain/email-address';
export { MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS } from './domain/approval-request';
export { MAX_COMMENT_CHARS } from './domain/review-form';
export { humanTime, humanIsoTime } from './domain/human-time';
export { lengthPrefixed } from './domain/mac';
export type { KeyringSource, MacKeyring } from './domain/mac-keyring';
export type { ClientInfo } from './domain/audit';
export type { Mailer, OutgoingEmail } from './domain/ports';
export { DEFAULT_LIMITS, HOUR_SECONDS, clientNetwork, enforceRateLimit, rateSubject, type RateCounter, type RateKind, type RateLimit } from './domain/rate-limit';
export { createLogger, describeCause, logFailure, type AppLogger } from './logger';
export {
  checkedText,
  custom,
  days,
  defineEnv,
  envNames,
  hours,
  optional,
  rateLimit,
  read,
  required,
  toEnvironment,
  wholeNumber,
  type EnvInput,
  type EnvSchema,
  type EnvValues,
  type EnvVar,
} from './config';
export * from './defaults';
export { ERROR_TABLE, errorWords, retryAfter, statusOf, type ErrorEntry, type ErrorWords } from './http/error-answers';
export { JSON_HEADERS, errorResponse, httpHandler, json, respond, type Answer, type HtmlAnswer, type HttpHandlerOptions, type HttpLambda, type HttpResult } from './http/handler';
export { JSON_TYPE, decodePathSegment, header, mediaTypeOf, readBody, requireMediaType, trimTrailingSlashes, type HttpRequest } from './http/request';
export { FORM_TYPE, assertSameOrigin, readForm, strictParams } from './http/forms';
export { apiEvent } from './http/api-event';
export { TaskError } from './handlers/request-handler';
export type { ExecutionEndStatus } from './services/close-requests';
export { parseExecutionEnded } from './handlers/execution-ended-handler';
export { compileTemplate } from './email/template';
export { quoteLines } from './email/quote';
export { assertHeaderSafe, type RenderedEmail } from './email/review-email';
export { pageHeaders } from './pages/page-headers';
export { STYLE as PAGE_STYLE } from './pages/review-page';
export { TABLE_KEY, TTL_ATTRIBUTE, RATE_PK_PREFIX } from './adapters/table-schema';
export { errorName, serviceError } from './adapters/aws-errors';
export { SesMailer } from './adapters/ses-mailer';
export { DynamoRateCounter } from './adapters/dynamo-rate-counter';
export { secretKeyring } from './adapters/secret-keyring';
export type { ClientConfig, ClientSettings } from './lambda/client-config';
