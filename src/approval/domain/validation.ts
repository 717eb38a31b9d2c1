/**
 * Shared schema pieces on `zod/mini`: the tree-shakable build of zod. The classic `zod` import
 * put 443 KB into every bundle that validated anything; this one costs a small fraction of that.
 * Only the English messages are loaded.
 *
 * Lengths count code points (what people count as characters: an emoji is one, not two UTF-16
 * units as zod's `maxLength` counts). Every check is linear in the input, and a failed length
 * check stops the ones after it, so an oversized value is refused before anything else reads it.
 */
import { config, minLength, refine, string, toLowerCase, trim, type core } from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { MAX_EMAIL_CHARS, isEmailAddress } from './email-address';

config(en());

/** Control characters (Unicode Cc: C0, DEL, C1), and the Unicode line and paragraph separators, which mail clients and our own quoting treat as line breaks. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** Control characters other than tab, LF and CR: none belongs in multi-line text. */
const CONTROL_BUT_TAB_AND_LINE_BREAKS = /[\u0000-\u0008\v\f\u000e-\u001f\u007f-\u009f]/;

/** The number of code points in `text` (an unpaired surrogate counts as one). Linear, no copy. */
export function codePointLength(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/**
 * 50000 → "50,000". Not toLocaleString: its first call loads ICU number data (~16 ms), and these
 * messages are built when a Lambda's schemas load, on every cold start.
 */
export function thousands(n: number): string {
  const digits = String(n);
  let out = '';
  for (let i = 0; i < digits.length; i++) out += (i > 0 && (digits.length - i) % 3 === 0 ? ',' : '') + digits[i];
  return out;
}

/** At most `max` code points; on failure the checks after it do not run. */
export const maxChars = (max: number) =>
  refine<string>((value) => value.length <= max || (value.length <= 2 * max && codePointLength(value) <= max), {
    message: `must be at most ${thousands(max)} characters`,
    abort: true,
  });

/** No unpaired surrogate: such text cannot be encoded as UTF-8, so it can be neither stored nor sent. */
export const wellFormed = () =>
  refine<string>((value) => value.isWellFormed(), { message: 'must be valid Unicode text (an unpaired surrogate was found)', abort: true });

/** No control character at all (no CR or LF either): safe in a mail header. */
const oneLine = () => refine<string>((value) => !CONTROL.test(value), { message: 'must be one line without control characters' });

/** No control character but tab, LF and CR. */
const plainText = () =>
  refine<string>((value) => !CONTROL_BUT_TAB_AND_LINE_BREAKS.test(value), { message: 'must not contain control characters other than tab and line breaks' });

/** One trimmed line of 1..max characters: no control characters (no CR, LF or NUL: safe in mail headers). */
export const line = (max: number) => string().check(trim(), minLength(1), maxChars(max), wellFormed(), oneLine());

/** Trimmed free text of 1..max characters; tab and line breaks allowed, other control characters not. */
export const text = (max: number) => string().check(trim(), minLength(1), maxChars(max), wellFormed(), plainText());

/** Optional free text of at most max characters (may be empty), as `text` otherwise. */
export const optionalText = (max: number) => string().check(maxChars(max), wellFormed(), plainText());

/** A plain ASCII email address (see `isEmailAddress`), lower-cased. */
export const email = () =>
  string().check(
    trim(),
    maxChars(MAX_EMAIL_CHARS),
    refine<string>(isEmailAddress, { message: 'must be an email address (ASCII; an internationalised domain in its xn-- form)', abort: true }),
    toLowerCase(),
  );

/** `path: message` lines for a failed parse, never echoing the input. */
export function problemsOf(error: core.$ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
}
