import { createSecretKey, type KeyObject } from 'node:crypto';

/** A versioned set of MAC keys: links name the version they were signed with, so keys can rotate. */
export interface MacKey {
  version: string;
  /** A KeyObject, built once: createHmac re-checks a raw Buffer key on every call (~7 µs). */
  key: KeyObject;
}

export interface MacKeyring {
  /** The key new links are signed with. */
  readonly current: MacKey;
  /** A key by version, for verifying links signed before a rotation. */
  get(version: string): MacKey | undefined;
}

/**
 * Where handlers get the keyring. Without a version: the keyring to sign with (its `current`).
 * With the version a link, token or cookie names: a keyring that holds it if the source can find
 * it, so a source that caches (the Secrets Manager adapter) reads again after a rotation.
 */
export type KeyringSource = (version?: string) => Promise<MacKeyring> | MacKeyring;

const VERSION = /^[0-9]{1,4}$/;

/**
 * Builds a keyring from the secret's JSON: `{ "current": "2", "keys": { "1": "<base64>", "2": "<base64>" } }`.
 * Every key must be at least 32 bytes. Throws with a message that names what is wrong, never the key.
 */
export function keyringFromSecret(secretJson: string): MacKeyring {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretJson);
  } catch {
    throw new Error('MAC key secret is not JSON');
  }
  const { current, keys } = (parsed ?? {}) as { current?: unknown; keys?: unknown };
  if (typeof current !== 'string' || !VERSION.test(current)) throw new Error('MAC key secret: "current" must be a version string of digits');
  if (typeof keys !== 'object' || keys === null) throw new Error('MAC key secret: "keys" must be an object');
  const byVersion = new Map<string, MacKey>();
  for (const [version, value] of Object.entries(keys)) {
    if (!VERSION.test(version) || typeof value !== 'string') throw new Error(`MAC key secret: key version ${JSON.stringify(version)} is not valid`);
    const key = Buffer.from(value, 'base64');
    if (key.length < 32) throw new Error(`MAC key secret: key version ${version} is shorter than 32 bytes`);
    byVersion.set(version, { version, key: createSecretKey(key) });
  }
  const currentKey = byVersion.get(current);
  if (!currentKey) throw new Error(`MAC key secret: current version ${current} has no key`);
  return { current: currentKey, get: (version) => byVersion.get(version) };
}
