/**
 * Typed environment schemas: each Lambda declares its variables once — name, type, default,
 * limits — and both sides of the deployment use that one declaration. The Lambda reads it at cold
 * start with `read`, failing fast with one message naming every missing or invalid variable; the
 * Pulumi program (and local mode) builds the function's environment with `toEnvironment`, whose
 * type asks for every declared variable and nothing else, and which checks each known value as
 * the Lambda will.
 */
import { AUDIT_RETENTION_DAYS, DAY_SECONDS, PENDING_SHARDS, RATE_LIMIT } from './defaults';

/** One variable: how its text is read and written. `Req`: must be set; `Text`: a string that may be given deferred. */
export interface EnvVar<T, Req extends boolean = boolean, Text extends boolean = boolean> {
  readonly required: Req;
  readonly text: Text;
  /** The value when unset (or blank); undefined for a required variable or one without a default. */
  readonly fallback: T | undefined;
  /** The value of `raw` (trimmed, not blank), or an Error whose message names `name` and the problem. */
  parse(name: string, raw: string): T;
  format(value: T): string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a schema holds variables of any value type
export type EnvSchema = Readonly<Record<string, EnvVar<any>>>;

/** What `read` returns: every variable's value, defaults filled in. */
export type EnvValues<S extends EnvSchema> = { [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

/**
 * What `toEnvironment` takes: every declared variable (so none is forgotten), `undefined` for an
 * optional one (its default, if any, is written), and for a text variable also a deferred value
 * `D` (a Pulumi output) passed through as is.
 */
export type EnvInput<S extends EnvSchema, D = never> = {
  -readonly [K in keyof S]-?: S[K] extends EnvVar<infer T, infer R, infer X> ? T | (R extends true ? never : undefined) | (X extends true ? D : never) : never;
};

/** Names a schema and checks its shape at compile time; returns it unchanged. */
export function defineEnv<S extends EnvSchema>(schema: S): S {
  return schema;
}

/** Every variable a schema declares, in declaration order. */
export function envNames(schema: EnvSchema): string[] {
  return Object.keys(schema);
}

const text = <Req extends boolean>(required: Req): EnvVar<Req extends true ? string : string | undefined, Req, true> => ({
  required,
  text: true,
  fallback: undefined,
  parse: (_name, raw) => raw,
  format: (value) => value ?? '',
});

/** A string that must be set (a table name, an ARN, an address). */
export const required = (): EnvVar<string, true, true> => text(true);
/** A string that may be unset (then `undefined`). */
export const optional = (): EnvVar<string | undefined, false, true> => text(false);

/** A required string checked (and normalised) by `parse`, such as a URL. */
export function checkedText(parse: (name: string, raw: string) => string): EnvVar<string, true, true> {
  return { required: true, text: true, fallback: undefined, parse, format: (value) => value };
}

/** A value of any type with its own reading and writing, `fallback` when unset. */
export function custom<T>(options: { fallback: T; parse: (name: string, raw: string) => T; format: (value: T) => string }): EnvVar<T, false, false> {
  return { required: false, text: false, ...options };
}

export interface WholeNumberOptions {
  default: number;
  min: number;
  max: number;
  /** Named in the message: "a whole number of days from 1 to 3650". */
  unit?: string;
  /** Said of the minimum: "from 0 (no limit) to …". */
  minMeans?: string;
}

/** An optional number: `fallback` when unset, else the value if `accepts` it, or an error naming the variable and saying it must be `what`. */
function numberVar(fallback: number, accepts: (n: number) => boolean, what: string): EnvVar<number, false, false> {
  return {
    required: false,
    text: false,
    fallback,
    parse(name, raw) {
      const n = Number(raw);
      if (!accepts(n)) throw new Error(`${name} must be ${what}, got ${JSON.stringify(raw)}`);
      return n;
    },
    format: String,
  };
}

/** A whole number from `min` to `max`, `default` when unset. */
export function wholeNumber(options: WholeNumberOptions): EnvVar<number, false, false> {
  const { min, max } = options;
  const what = `a whole number${options.unit ? ` of ${options.unit}` : ''} from ${min}${options.minMeans ? ` (${options.minMeans})` : ''} to ${max}`;
  return numberVar(options.default, (n) => Number.isInteger(n) && n >= min && n <= max, what);
}

/** Whole days within the limits. */
export const days = (options: Omit<WholeNumberOptions, 'unit'>) => wholeNumber({ ...options, unit: 'days' });

/** An abuse limit: a whole number from 0 (off) to the largest limit, `fallback` when unset. */
export const rateLimit = (fallback: number) => wholeNumber({ default: fallback, ...RATE_LIMIT, minMeans: 'no limit' });

/** Hours above 0 and at most `max`, fractions allowed. */
export function hours(options: { default: number; max: number }): EnvVar<number, false, false> {
  return numberVar(options.default, (n) => Number.isFinite(n) && n > 0 && n <= options.max, `a number of hours above 0 and at most ${options.max}`);
}

function valueOf(variable: EnvVar<unknown>, name: string, raw: string | undefined, missing: string[], problems: string[]): unknown {
  const value = raw?.trim();
  if (!value) {
    if (variable.required) missing.push(name);
    return variable.fallback;
  }
  try {
    return variable.parse(name, value);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : `${name} is invalid`);
    return undefined;
  }
}

function fail(missing: string[], problems: string[]): void {
  const parts = [...(missing.length > 0 ? [`Missing environment variables: ${missing.join(', ')}`] : []), ...problems];
  if (parts.length > 0) throw new Error(parts.join('; '));
}

/**
 * Reads a schema's variables from `env` once (at cold start), values trimmed, defaults filled in;
 * throws one Error naming every missing variable, then every invalid one.
 */
export function read<S extends EnvSchema>(schema: S, env: Readonly<Record<string, string | undefined>>): EnvValues<S> {
  const missing: string[] = [];
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(schema)) out[name] = valueOf(variable, name, env[name], missing, problems);
  fail(missing, problems);
  return out as EnvValues<S>;
}

/**
 * A function's environment from typed values: each variable written as `read` reads it back, the
 * default written for an optional one left `undefined` (so the function's settings are all in
 * view), one without a default left out. A deferred text value `D` (a Pulumi output) is passed
 * through; every other value is checked as the Lambda will check it, throwing as `read` does.
 */
export function toEnvironment<S extends EnvSchema, D = never>(schema: S, values: EnvInput<S, D>): Record<string, string | D> {
  const missing: string[] = [];
  const problems: string[] = [];
  const out: Record<string, string | D> = {};
  const given = values as Record<string, unknown>;
  for (const [name, variable] of Object.entries(schema)) {
    const value = given[name] === undefined ? variable.fallback : given[name];
    if (value === undefined) {
      if (variable.required) missing.push(name);
      continue;
    }
    if (variable.text && typeof value !== 'string') {
      out[name] = value as D;
      continue;
    }
    const raw = variable.format(value as never);
    valueOf(variable, name, raw, missing, problems);
    out[name] = raw;
  }
  fail(missing, problems);
  return out;
}

/** The request table's variables: every Lambda that reads or writes requests declares them together. */
export const REQUEST_TABLE_ENV = defineEnv({
  TABLE_NAME: required(),
  AUDIT_RETENTION_DAYS: days(AUDIT_RETENTION_DAYS),
  PENDING_SHARDS: wholeNumber(PENDING_SHARDS),
});

/** Where requests live and how: the table, how long they outlive their links, and the pending index's shard count. */
export interface RequestTableConfig {
  tableName: string;
  retentionSeconds: number;
  pendingShards: number;
}

/**
 * The request table's settings, taken together so that no Lambda that reads or writes requests
 * can take the table without the index layout every other one uses.
 */
export function requestTableConfig(config: EnvValues<typeof REQUEST_TABLE_ENV>): RequestTableConfig {
  return { tableName: config.TABLE_NAME, retentionSeconds: config.AUDIT_RETENTION_DAYS * DAY_SECONDS, pendingShards: config.PENDING_SHARDS };
}
