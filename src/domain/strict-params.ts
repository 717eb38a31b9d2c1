import { ApprovalError } from './errors';

/**
 * Parses a query string or urlencoded form strictly: every key must be known and
 * appear once, required keys must be present. Anything else is LINK_MALFORMED,
 * so a duplicated, injected (`next=`) or missing parameter never reaches the logic.
 */
export function parseStrictParams(
  raw: string,
  spec: { required: readonly string[]; optional?: readonly string[] },
): Record<string, string> {
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
