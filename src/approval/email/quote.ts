/**
 * Plain-text quoting, as mail clients have long marked what someone else wrote: every line of
 * the text prefixed with `> `. In a review email the author's words come below the real links
 * and quoted, so nothing they write (a line saying "Approve: https://…") can pass for ours.
 */

/** What a mail client may show as a line break: CR LF, LF, CR, and Unicode's line and paragraph separators. */
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/;

/** `text` with each line prefixed by `> ` (an empty line by `>` alone, as clients write it). */
export function quoteLines(text: string): string {
  return text
    .split(LINE_BREAK)
    .map((line) => (line === '' ? '>' : `> ${line}`))
    .join('\n');
}

/** Several pieces of text quoted as one block, an empty quoted line between them; absent pieces are left out. */
export function quoteBlock(pieces: (string | undefined)[]): string {
  return pieces
    .filter((piece): piece is string => piece !== undefined && piece !== '')
    .map(quoteLines)
    .join('\n>\n');
}
