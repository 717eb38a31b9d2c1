/**
 * Root hooks for the whole run: JSON log lines are captured (kept off the console) and, at
 * the end, every captured byte of output is checked for any task token, ciphertext or MAC
 * a test registered. A leak fails the run.
 */
import type { RootHookObject } from 'mocha';

const secrets = new Set<string>();
const captured: string[] = [];

/** Registers a value that must never appear in any output. Short values are ignored (too common to mean a leak). */
export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= 16) secrets.add(value);
}

/** JSON log lines written since `from` (an index from logMark()), parsed. */
export function logLines(from = 0): Record<string, unknown>[] {
  return captured
    .slice(from)
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const logMark = (): number => captured.length;

export function leakedSecrets(): string[] {
  const all = captured.join('');
  return [...secrets].filter((s) => all.includes(s));
}

function intercept(stream: NodeJS.WriteStream): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    captured.push(text);
    // Structured logs are evidence for the tests, not reading for people.
    if (text.startsWith('{"')) return true;
    return original(chunk, ...rest);
  }) as typeof stream.write;
}

intercept(process.stdout);
intercept(process.stderr);

export const mochaHooks: RootHookObject = {
  afterAll() {
    const leaked = leakedSecrets();
    if (leaked.length > 0) throw new Error(`${leaked.length} secret value(s) (task token, ciphertext or MAC) appeared in logs or output`);
  },
};
