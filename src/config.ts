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
