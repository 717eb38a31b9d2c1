import { ApprovalError } from './errors';

/**
 * Whether every `%` in `raw` starts an escape and the escapes spell UTF-8. URLSearchParams never
 * says: it keeps `%ZZ` as text and turns invalid UTF-8 into U+FFFD, so a damaged form would be
 * read as something nobody typed. (decodeURIComponent throws on both; one linear pass.)
 */
function wellEscaped(raw: string): boolean {
  if (!raw.isWellFormed()) return false;
  try {
    decodeURIComponent(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a query string or urlencoded form strictly: every escape must be well-formed, every
 * key must be known and appear once, required keys must be present. Anything else is
 * LINK_MALFORMED, so a damaged, duplicated, injected (`next=`) or missing parameter never
 * reaches the logic.
 */
export function parseStrictParams(
  raw: string,
  spec: { required: readonly string[]; optional?: readonly string[] },
): Record<string, string> {
  if (!wellEscaped(raw)) throw new ApprovalError('LINK_MALFORMED');
  const allowed = new Set([...spec.required, ...(spec.optional ?? [])]);
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(raw)) {
    if (!allowed.has(key) || key in out) throw new ApprovalError('LINK_MALFORMED');
    out[key] = value;
  }
  for (const key of spec.required) {
    if (!(key in out)) throw new ApprovalError('LINK_MALFORMED');
  }
  return out;
}
