import { expect } from 'chai';
import { GetSecretValueCommand, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { secretKeyring, type KeyringLogger } from '../../../src/approval/adapters/secret-keyring';
import { holdSecret, macKey, secretReads, secretsManager as sm } from '../../support/secret-stub';

const K1 = macKey();
const K2 = macKey();
const K3 = macKey();
const V1 = { current: '1', keys: { '1': K1 } };
const V2 = { current: '2', keys: { '1': K1, '2': K2 } };
const V3 = { current: '3', keys: { '2': K2, '3': K3 } };

describe('secret keyring adapter', () => {
  const client = new SecretsManagerClient({ region: 'eu-west-1' });
  let at: number;
  let warnings: { message: string; fields: Record<string, unknown> }[];
  const logger: KeyringLogger = { warn: (message, fields) => warnings.push({ message, fields }) };
  const clock = { now: () => new Date(at), advance: (seconds: number) => (at += seconds * 1000) };
  const source = () => secretKeyring(client, 'mac-secret', { now: clock.now, logger });

  beforeEach(() => {
    sm.reset();
    at = Date.UTC(2026, 10, 28, 9);
    warnings = [];
  });

  it('reads the secret once per container', async () => {
    holdSecret(V1);
    const load = secretKeyring(client, 'mac-secret');
    const [a, b] = await Promise.all([load(), load()]);
    await load();
    expect(a).to.equal(b);
    expect(a.current.version).to.equal('1');
    expect(secretReads()).to.equal(1);
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).to.deep.equal({ SecretId: 'mac-secret' });
  });

  it('fails when the first read fails, and tries again on the next call', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('network')).resolves({ SecretString: JSON.stringify(V1) });
    const load = source();
    let failed = false;
    await load().catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect((await load()).current.version).to.equal('1');
    expect(secretReads()).to.equal(2);
  });

  it('reloads once when asked for a key version it does not hold, and then holds it', async () => {
    holdSecret(V1);
    const load = source();
    await load();
    holdSecret(V2);
    clock.advance(10);

    const ring = await load('2');

    expect(ring.get('2')).to.not.equal(undefined);
    expect(ring.current.version).to.equal('2');
    expect(secretReads()).to.equal(2);
    await load('2');
    await load('1');
    expect(secretReads()).to.equal(2);
  });

  it('does not reload for a key version it holds, nor when no version is named, within the maximum age', async () => {
    holdSecret(V1);
    const load = source();
    await load();
    holdSecret(V2);
    clock.advance(299);

    expect((await load('1')).current.version).to.equal('1');
    expect((await load()).current.version).to.equal('1');
    expect(secretReads()).to.equal(1);
  });

  it('reloads for unknown versions at most once a minute, so forged versions cannot hammer Secrets Manager', async () => {
    holdSecret(V1);
    const load = source();
    await load();
    clock.advance(1);

    expect((await load('7')).get('7')).to.equal(undefined);
    expect(secretReads()).to.equal(2);
    clock.advance(59);
    holdSecret(V2);
    expect((await load('8')).get('8')).to.equal(undefined);
    expect((await load('2')).get('2'), 'a real rotation inside the minute waits too').to.equal(undefined);
    expect(secretReads()).to.equal(2);

    clock.advance(1);
    expect((await load('2')).get('2')).to.not.equal(undefined);
    expect(secretReads()).to.equal(3);
  });

  it('reloads after a maximum age of 5 minutes, so a new current key reaches a warm container', async () => {
    holdSecret(V1);
    const load = source();
    await load();
    holdSecret(V2);

    clock.advance(299.999);
    expect((await load()).current.version).to.equal('1');
    expect(secretReads()).to.equal(1);
    clock.advance(0.001);
    expect((await load()).current.version).to.equal('2');
    expect(secretReads()).to.equal(2);
    clock.advance(299);
    await load();
    expect(secretReads()).to.equal(2);
  });

  it('drops a removed version once the maximum age has passed', async () => {
    holdSecret(V2);
    const load = source();
    await load();
    holdSecret(V3);

    expect((await load('1')).get('1')).to.not.equal(undefined);
    clock.advance(300);
    const ring = await load('1');

    expect(ring.get('1')).to.equal(undefined);
    expect(ring.current.version).to.equal('3');
    expect(secretReads(), 'the max-age reload is the only call: no second one for the version it lacks').to.equal(2);
  });

  it('keeps the keyring it has when a reload fails, logs a warning without the secret, and tries again a minute later', async () => {
    holdSecret(V1);
    const load = source();
    const first = await load();
    sm.on(GetSecretValueCommand).rejects(new SecretsManagerServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'Rate exceeded' }));
    clock.advance(300);

    expect(await load('1')).to.equal(first);
    expect(secretReads()).to.equal(2);
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.fields).to.deep.equal({ error: 'ThrottlingException' });
    expect(JSON.stringify(warnings)).to.not.include(K1);

    clock.advance(59);
    expect(await load()).to.equal(first);
    expect(secretReads(), 'no retry within the minute').to.equal(2);
    holdSecret(V2);
    clock.advance(1);
    expect((await load()).current.version).to.equal('2');
    expect(secretReads()).to.equal(3);
  });

  it('keeps the keyring it has when an unknown-version reload fails', async () => {
    holdSecret(V1);
    const load = source();
    const first = await load();
    sm.on(GetSecretValueCommand).rejects(new Error('Secrets Manager is down'));

    const ring = await load('2');

    expect(ring).to.equal(first);
    expect(ring.get('1')).to.not.equal(undefined);
    expect(secretReads()).to.equal(2);
    expect(warnings.map((w) => w.fields)).to.deep.equal([{ error: 'Error' }]);
  });

  it('keeps the keyring it has when the secret was changed into something that is not a keyring', async () => {
    holdSecret(V1);
    const load = source();
    const first = await load();
    holdSecret({ current: '2', keys: { '2': 'dG9vIHNob3J0' } });
    clock.advance(300);

    expect(await load()).to.equal(first);
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.fields).to.deep.equal({ error: 'Error' });
  });

  it('shares one GetSecretValue among concurrent callers, for the first load and for a reload', async () => {
    holdSecret(V1);
    const load = source();
    const firsts = await Promise.all([load(), load('1'), load('2'), load()]);
    expect(new Set(firsts).size).to.equal(1);
    expect(secretReads()).to.equal(1);

    holdSecret(V2);
    const reloaded = await Promise.all([load('2'), load('2'), load('3'), load()]);

    expect(secretReads()).to.equal(2);
    expect(reloaded.every((ring) => ring.get('2') !== undefined)).to.equal(true);
  });

  it('gives every caller waiting on a failed first load the error', async () => {
    sm.on(GetSecretValueCommand).rejects(new Error('network'));
    const load = source();

    const results = await Promise.allSettled([load(), load('1')]);

    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    expect(secretReads()).to.equal(1);
  });
});
