/**
 * Reads the named environment variables once (at cold start) and fails fast,
 * naming every missing one at once rather than the first.
 */
export function readEnv<R extends string, O extends string = never>(
  env: NodeJS.ProcessEnv,
  required: readonly R[],
  optional: readonly O[] = [],
): Record<R, string> & Partial<Record<O, string>> {
  const missing = required.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`);
  const out: Record<string, string> = {};
  for (const name of [...required, ...optional]) {
    const value = env[name]?.trim();
    if (value) out[name] = value;
  }
  return out as Record<R, string> & Partial<Record<O, string>>;
}

/** AUDIT_RETENTION_DAYS (days a request and its audit trail outlive its links; default 365) in seconds. */
export function retentionSeconds(days: string | undefined): number {
  if (days === undefined) return 365 * 24 * 3600;
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new Error(`AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 3650, got ${JSON.stringify(days)}`);
  return n * 24 * 3600;
}
