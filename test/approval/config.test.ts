import { expect } from 'chai';
import { REQUEST_TABLE_ENV, custom, days, defineEnv, hours, optional, rateLimit, read, requestTableConfig, required, toEnvironment, wholeNumber } from '../../src/approval/config';
import { AUDIT_RETENTION_DAYS, PENDING_SHARDS } from '../../src/approval/defaults';

describe('configuration', () => {
  const schema = defineEnv({
    TABLE_NAME: required(),
    TOKEN_KEY_ID: required(),
    MAC_SECRET_ID: required(),
    LABEL: optional(),
    SHARDS: wholeNumber({ default: 16, min: 1, max: 256 }),
  });

  it('names every missing variable at once, in declaration order', () => {
    expect(() => read(schema, { TABLE_NAME: 't', MAC_SECRET_ID: '  ' })).to.throw('Missing environment variables: TOKEN_KEY_ID, MAC_SECRET_ID');
  });

  it('names the missing and the invalid variables together', () => {
    expect(() => read(schema, { TABLE_NAME: 't', SHARDS: '0' })).to.throw('Missing environment variables: TOKEN_KEY_ID, MAC_SECRET_ID; SHARDS must be a whole number from 1 to 256, got "0"');
  });

  it('returns required and present optional values trimmed, defaults filled in, blank as unset', () => {
    expect(read(schema, { TABLE_NAME: ' t ', TOKEN_KEY_ID: 'k', MAC_SECRET_ID: 'm', LABEL: 'l', OTHER: 'x' })).to.deep.equal({ TABLE_NAME: 't', TOKEN_KEY_ID: 'k', MAC_SECRET_ID: 'm', LABEL: 'l', SHARDS: 16 });
    expect(read(schema, { TABLE_NAME: 't', TOKEN_KEY_ID: 'k', MAC_SECRET_ID: 'm', LABEL: ' ', SHARDS: '' })).to.deep.equal({ TABLE_NAME: 't', TOKEN_KEY_ID: 'k', MAC_SECRET_ID: 'm', LABEL: undefined, SHARDS: 16 });
  });

  it('reads PENDING_SHARDS, 16 by default, a whole number from 1 to 256', () => {
    const shards = (value: string | undefined) => read(REQUEST_TABLE_ENV, { TABLE_NAME: 't', PENDING_SHARDS: value }).PENDING_SHARDS;
    expect(shards(undefined)).to.equal(16);
    expect(shards('1')).to.equal(1);
    expect(shards('256')).to.equal(256);
    for (const bad of ['0', '257', '1.5', 'many']) expect(() => shards(bad), bad).to.throw('PENDING_SHARDS must be a whole number from 1 to 256');
  });

  it('reads AUDIT_RETENTION_DAYS, 365 by default, whole days from 1 to 3650', () => {
    const retention = (value: string | undefined) => read(REQUEST_TABLE_ENV, { TABLE_NAME: 't', AUDIT_RETENTION_DAYS: value }).AUDIT_RETENTION_DAYS;
    expect(retention(undefined)).to.equal(365);
    expect(retention('3650')).to.equal(3650);
    for (const bad of ['0', '3651', '1.5', 'forever']) expect(() => retention(bad), bad).to.throw(`AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 3650, got ${JSON.stringify(bad)}`);
  });

  it('reads an abuse limit as a whole number from 0 (off) to 1,000,000', () => {
    const limits = defineEnv({ PER_HOUR: rateLimit(5) });
    expect(read(limits, {}).PER_HOUR).to.equal(5);
    expect(read(limits, { PER_HOUR: '0' }).PER_HOUR).to.equal(0);
    for (const bad of ['-1', '1000001', '2.5']) expect(() => read(limits, { PER_HOUR: bad }), bad).to.throw('PER_HOUR must be a whole number from 0 (no limit) to 1000000');
  });

  it('reads hours above 0, fractions allowed', () => {
    const reminder = defineEnv({ BEFORE: hours({ default: 24, max: 8760 }) });
    expect(read(reminder, { BEFORE: '1.5' }).BEFORE).to.equal(1.5);
    for (const bad of ['0', '8761', 'soon']) expect(() => read(reminder, { BEFORE: bad }), bad).to.throw('BEFORE must be a number of hours above 0 and at most 8760');
  });

  it('reads the request table settings together: name, retention and shard count', () => {
    expect(requestTableConfig(read(REQUEST_TABLE_ENV, { TABLE_NAME: 't', AUDIT_RETENTION_DAYS: '30', PENDING_SHARDS: '32' }))).to.deep.equal({ tableName: 't', retentionSeconds: 30 * 24 * 3600, pendingShards: 32 });
    expect(requestTableConfig(read(REQUEST_TABLE_ENV, { TABLE_NAME: 't' }))).to.deep.equal({ tableName: 't', retentionSeconds: 365 * 24 * 3600, pendingShards: 16 });
  });

  it('takes the request table limits from the defaults module', () => {
    expect(read(REQUEST_TABLE_ENV, { TABLE_NAME: 't' })).to.include({ AUDIT_RETENTION_DAYS: AUDIT_RETENTION_DAYS.default, PENDING_SHARDS: PENDING_SHARDS.default });
  });

  describe('toEnvironment', () => {
    const list = custom<string[]>({ fallback: [], parse: (_name, raw) => raw.split(','), format: (items) => items.join(',') });
    const full = defineEnv({ NAME: required(), NOTE: optional(), DAYS: days({ default: 365, min: 1, max: 3650 }), ITEMS: list });

    it('writes every value as read reads it back, and the defaults of those left undefined', () => {
      const environment = toEnvironment(full, { NAME: 'n', NOTE: 'a note', DAYS: 30, ITEMS: ['a', 'b'] });
      expect(environment).to.deep.equal({ NAME: 'n', NOTE: 'a note', DAYS: '30', ITEMS: 'a,b' });
      expect(read(full, environment)).to.deep.equal({ NAME: 'n', NOTE: 'a note', DAYS: 30, ITEMS: ['a', 'b'] });
      expect(toEnvironment(full, { NAME: 'n', NOTE: undefined, DAYS: undefined, ITEMS: undefined })).to.deep.equal({ NAME: 'n', DAYS: '365', ITEMS: '' });
    });

    it('passes a deferred text value through untouched', () => {
      const deferred = { later: true };
      const environment = toEnvironment<typeof full, typeof deferred>(full, { NAME: deferred, NOTE: deferred, DAYS: 1, ITEMS: [] });
      expect(environment.NAME).to.equal(deferred);
      expect(environment.NOTE).to.equal(deferred);
    });

    it('refuses a value the Lambda would refuse, or a missing required one, naming each', () => {
      expect(() => toEnvironment(full, { NAME: undefined as unknown as string, NOTE: undefined, DAYS: 4000, ITEMS: [] })).to.throw(
        'Missing environment variables: NAME; DAYS must be a whole number of days from 1 to 3650, got "4000"',
      );
    });
  });
});
