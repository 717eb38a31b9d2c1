import { expect } from 'chai';
import { read, toEnvironment, type EnvInput, type EnvSchema } from '../../src/approval/config';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, addContext: () => undefined };

/**
 * The checks every Lambda's schema passes: what Pulumi (or local mode) writes with `values`, the
 * Lambda reads back as the same values; and its factory, given that environment less one required
 * variable, or with one value it would refuse, fails the cold start naming that variable.
 * `invalid` gives a refused value for each variable that has any.
 */
export function expectSchemaContract<S extends EnvSchema>(
  schema: S,
  values: EnvInput<S>,
  invalid: Partial<Record<keyof S & string, string>>,
  factory: (env: NodeJS.ProcessEnv, clients: object, logger: typeof quiet) => unknown,
): void {
  const environment = toEnvironment(schema, values);
  expect(Object.keys(environment), 'every declared variable is written').to.have.members(Object.keys(schema).filter((name) => values[name as keyof S] !== undefined || schema[name]!.fallback !== undefined));
  expect(read(schema, environment), 'read back').to.deep.equal(Object.fromEntries(Object.entries(schema).map(([name, v]) => [name, values[name as keyof S] ?? v.fallback])));
  const required = Object.entries(schema).filter(([, v]) => v.required).map(([name]) => name);
  expect(required).to.not.be.empty;
  for (const name of required) {
    const { [name]: _left, ...rest } = environment;
    expect(() => factory(rest, {}, quiet), name).to.throw(`Missing environment variables: ${name}`);
    expect(() => factory({ ...environment, [name]: '  ' }, {}, quiet), `${name} blank`).to.throw(`Missing environment variables: ${name}`);
  }
  for (const [name, bad] of Object.entries(invalid) as [string, string][]) {
    expect(() => factory({ ...environment, [name]: bad }, {}, quiet), `${name}=${bad}`).to.throw(name);
  }
  // Every variable that is not free text has a refused value checked.
  for (const [name, v] of Object.entries(schema)) if (!v.text) expect(invalid, `a refused value for ${name}`).to.have.property(name);
}
