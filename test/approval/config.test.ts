import { expect } from 'chai';
import { pendingShards, readEnv, requestTableConfig } from '../../src/approval/config';

describe('configuration', () => {
  it('names every missing variable at once', () => {
    expect(() => readEnv({ TABLE_NAME: 't', MAC_SECRET_ID: '  ' }, ['TABLE_NAME', 'TOKEN_KEY_ID', 'MAC_SECRET_ID'])).to.throw(
      'Missing environment variables: TOKEN_KEY_ID, MAC_SECRET_ID',
    );
  });

  it('returns required and present optional values, trimmed', () => {
    expect(readEnv({ A: ' a ', B: 'b' }, ['A'], ['B', 'C'])).to.deep.equal({ A: 'a', B: 'b' });
  });

  it('reads PENDING_SHARDS, 16 by default, a whole number from 1 to 256', () => {
    expect(pendingShards(undefined)).to.equal(16);
    expect(pendingShards('1')).to.equal(1);
    expect(pendingShards('256')).to.equal(256);
    for (const bad of ['0', '257', '1.5', 'many', '']) expect(() => pendingShards(bad), bad).to.throw('PENDING_SHARDS must be a whole number from 1 to 256');
  });

  it('reads the request table settings together: name, retention and shard count', () => {
    expect(requestTableConfig({ TABLE_NAME: 't', AUDIT_RETENTION_DAYS: '30', PENDING_SHARDS: '32' })).to.deep.equal({ tableName: 't', retentionSeconds: 30 * 24 * 3600, pendingShards: 32 });
    expect(requestTableConfig({ TABLE_NAME: 't' })).to.deep.equal({ tableName: 't', retentionSeconds: 365 * 24 * 3600, pendingShards: 16 });
  });
});
