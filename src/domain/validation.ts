/**
 * Shared schema pieces on `zod/mini`: the tree-shakable build of zod. The classic `zod` import
 * put 443 KB into every bundle that validated anything; this one costs a small fraction of that.
 * Only the English messages are loaded.
 */
import { config, maxLength, minLength, regex, string, toLowerCase, trim, type core } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const EMAIL = /^[^\s@<>(),;:"\\[\]]{1,64}@[^\s@<>(),;:"\\[\]]+\.[^\s@<>(),;:"\\[\]]+$/;

/** One trimmed line of text: no CR, LF, NUL or other control characters (safe in mail headers). */
export const line = (max: number) =>
  string().check(trim(), minLength(1), maxLength(max), regex(NO_CONTROL, 'must be one line without control characters'));

/** Trimmed free text of 1..max characters. */
export const text = (max: number) => string().check(trim(), minLength(1), maxLength(max));

/** A plain email address, lower-cased. */
export const email = () => string().check(trim(), maxLength(254), regex(EMAIL, 'must be an email address'), toLowerCase());

/** `path: message` lines for a failed parse, never echoing the input. */
export function problemsOf(error: core.$ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
}
