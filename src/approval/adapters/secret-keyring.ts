import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { keyringFromSecret, type MacKeyring } from '../domain/mac-keyring';

/** How long a loaded keyring is used before it is read again (Powertools Parameters' `maxAge`). */
export const KEYRING_MAX_AGE_SECONDS = 5 * 60;
/**
 * At most one reload per this many seconds for links naming a version we do not hold: anyone can
 * write a link with a random `k`, and that must not turn into one Secrets Manager call per request.
 * Also how long a failed reload waits before the next try.
 */
export const KEYRING_RELOAD_INTERVAL_SECONDS = 60;

/** What the keyring logs: a failed reload, by error class name only. */
export interface KeyringLogger {
  warn(message: string, fields: Record<string, unknown>): void;
}

export interface SecretKeyringOptions {
  now?: () => Date;
  logger?: KeyringLogger;
}

/**
 * The link-signing keyring from a Secrets Manager secret that only the Lambdas may read, cached
 * per container so verifying a link needs no network call (a `KeyringSource` for the handlers).
 * A rotation reaches a warm container in two ways: asked for a version it does not hold
 * (`source(version)`), it reads the secret again, at most once a minute; and it reads it again
 * after 5 minutes whatever is asked, so `current` moves on and removed versions stop verifying.
 * Concurrent callers share one read. A first read that fails fails the call (the next call tries
 * again); a later one that fails, or returns something that is not a keyring, keeps the keyring
 * we have (a Secrets Manager outage refuses nothing we can verify) and is tried again a minute later.
 */
export function secretKeyring(client: SecretsManagerClient, secretId: string, options: SecretKeyringOptions = {}): (version?: string) => Promise<MacKeyring> {
  const now = () => (options.now ? options.now() : new Date()).getTime();
  let held: MacKeyring | undefined;
  let inFlight: Promise<void> | undefined;
  /** When the keyring is read again whatever is asked (max age, or the retry after a failed read). */
  let staleAt = 0;
  /** When an unknown version may next cause a read. */
  let unknownReloadAt = 0;

  async function read(): Promise<void> {
    try {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      held = keyringFromSecret(SecretString ?? '');
      staleAt = now() + KEYRING_MAX_AGE_SECONDS * 1000;
    } catch (err) {
      if (!held) throw err;
      staleAt = now() + KEYRING_RELOAD_INTERVAL_SECONDS * 1000;
      options.logger?.warn('link-signing keys not reloaded; keeping the keys already loaded', { error: err instanceof Error ? err.name : 'unknown' });
    }
  }

  /** One read at a time: whoever comes while it runs waits for the same one. */
  function load(): Promise<void> {
    if (!inFlight) {
      const reading = read().finally(() => {
        if (inFlight === reading) inFlight = undefined;
      });
      inFlight = reading;
    }
    return inFlight;
  }

  return async (version?: string) => {
    let justRead = false;
    if (inFlight || !held || now() >= staleAt) {
      await load();
      justRead = true;
    }
    // A read made during this very call is as fresh as it gets: reading again would only cost a call.
    if (version !== undefined && !held!.get(version) && !justRead && now() >= unknownReloadAt) {
      unknownReloadAt = now() + KEYRING_RELOAD_INTERVAL_SECONDS * 1000;
      await load();
    }
    return held!;
  };
}
