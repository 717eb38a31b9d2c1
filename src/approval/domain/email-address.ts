/**
 * What this service accepts as an email address, checked by a small parser instead of a
 * regular expression: one pass over at most 254 characters, so no input can make it backtrack.
 */

/** RFC 5321 caps a path at 256 octets, so an address at 254; the local part at 64. */
export const MAX_EMAIL_CHARS = 254;
export const MAX_LOCAL_PART_CHARS = 64;

/** Printable ASCII characters an address may not contain outside quotes (which we do not accept). */
const SPECIALS = new Set(['@', '<', '>', '(', ')', ',', ';', ':', '"', '\\', '[', ']']);

/**
 * Whether `text` is a plain address `local@domain.tld`: printable ASCII without spaces or the
 * specials `@ < > ( ) , ; : " \ [ ]`, one `@` after 1–64 characters, and a domain of two or more
 * dot-separated labels, none empty (`a@b..c` is no address). ASCII only because SES sends only
 * to ASCII addresses (an internationalised domain goes in its `xn--` form). Linear in the
 * length, and refuses anything longer than 254 characters before reading it.
 */
export function isEmailAddress(text: string): boolean {
  if (text.length > MAX_EMAIL_CHARS) return false;
  let at = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
    const char = text[i]!;
    if (char === '@') {
      if (at !== -1) return false;
      at = i;
    } else if (SPECIALS.has(char)) {
      return false;
    }
  }
  if (at < 1 || at > MAX_LOCAL_PART_CHARS) return false;
  let dots = 0;
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] !== '.') continue;
    // A dot first, last, or right after another leaves an empty label.
    if (i === at + 1 || i === text.length - 1 || text[i - 1] === '.') return false;
    dots++;
  }
  return dots > 0;
}
