import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { secretKeyring } from '../../src/adapters/secret-keyring';

describe('secret keyring adapter', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());
  const secret = JSON.stringify({ current: '1', keys: { '1': randomBytes(32).toString('base64') } });

  it('reads the secret once per container', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secret });
    const load = secretKeyring(new SecretsManagerClient({ region: 'eu-west-1' }), 'mac-secret');
    const [a, b] = await Promise.all([load(), load()]);
    await load();
    expect(a).to.equal(b);
    expect(a.current.version).to.equal('1');
    expect(sm.commandCalls(GetSecretValueCommand)).to.have.length(1);
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).to.deep.equal({ SecretId: 'mac-secret' });
  });

  it('tries again on the next call after a failed read', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('network')).resolves({ SecretString: secret });
    const load = secretKeyring(new SecretsManagerClient({ region: 'eu-west-1' }), 'mac-secret');
    let failed = false;
    await load().catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect((await load()).current.version).to.equal('1');
  });
});
