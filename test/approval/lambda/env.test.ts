import { expect } from 'chai';
import { envNames, read } from '../../../src/approval/config';
import { AUDIT_RETENTION_DAYS, DEFAULT_LIMITS, PENDING_SHARDS, REMINDER_HOURS_BEFORE_EXPIRY } from '../../../src/approval/defaults';
import { adminLambda } from '../../../src/approval/lambda/admin-lambda';
import { closerLambda } from '../../../src/approval/lambda/closer-lambda';
import { ADMIN_ENV } from '../../../src/approval/lambda/admin-env';
import { CLOSER_ENV, REQUEST_ENV, REVIEW_ENV, SWEEPER_ENV } from '../../../src/approval/lambda/env';
import { requestLambda } from '../../../src/approval/lambda/request-lambda';
import { reviewLambda } from '../../../src/approval/lambda/review-lambda';
import { sweeperLambda } from '../../../src/approval/lambda/sweeper-lambda';
import { expectSchemaContract } from '../../support/env-schema';

const table = { TABLE_NAME: 'approvals', AUDIT_RETENTION_DAYS: 30, PENDING_SHARDS: 32 };
const keys = { TOKEN_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/1', MAC_SECRET_ID: 'mac', SENDER_EMAIL: 'approvals@example.com' };
const tableInvalid = { AUDIT_RETENTION_DAYS: '3651', PENDING_SHARDS: '257' };

describe("the approval core's Lambda environments", () => {
  it('request: written and read back alike; a missing or refused variable fails the cold start, named', () => {
    expectSchemaContract(REQUEST_ENV, { ...table, ...keys, REVIEW_URL: 'https://api.example.com/review', SES_CONFIGURATION_SET: 'tracked' }, tableInvalid, requestLambda);
  });

  it('review: the same, and SENDER_EMAIL optional', () => {
    expectSchemaContract(REVIEW_ENV, { ...table, ...keys }, tableInvalid, reviewLambda);
    expectSchemaContract(REVIEW_ENV, { ...table, ...keys, SENDER_EMAIL: undefined }, tableInvalid, reviewLambda);
  });

  it('admin: the same, with its admins list, base URL and sign-in limit', () => {
    expectSchemaContract(
      ADMIN_ENV,
      { ...table, ...keys, BASE_URL: 'https://api.example.com', ADMINS: ['ops@example.com', 'boss@example.com'], SIGN_INS_PER_ADDRESS_PER_15_MINUTES: 0 },
      { ...tableInvalid, BASE_URL: 'http://api.example.com', ADMINS: 'ops@example.com, boss', SIGN_INS_PER_ADDRESS_PER_15_MINUTES: '-1' },
      adminLambda,
    );
  });

  it('sweeper: the same, with its reminder time in hours (fractions kept)', () => {
    expectSchemaContract(
      SWEEPER_ENV,
      { ...table, ...keys, REVIEW_URL: 'https://api.example.com/review', SES_CONFIGURATION_SET: undefined, REMINDER_HOURS_BEFORE_EXPIRY: 1.5 },
      { ...tableInvalid, REMINDER_HOURS_BEFORE_EXPIRY: '0' },
      sweeperLambda,
    );
  });

  it('closer: the same, with neither key nor secret', () => {
    expectSchemaContract(CLOSER_ENV, { ...table, SENDER_EMAIL: keys.SENDER_EMAIL, SES_CONFIGURATION_SET: undefined }, tableInvalid, closerLambda);
    expect(envNames(CLOSER_ENV)).to.not.include('TOKEN_KEY_ID').and.not.include('MAC_SECRET_ID');
  });

  it('declares the request table alike in every Lambda that reads or writes requests, with the defaults module’s values', () => {
    for (const schema of [REQUEST_ENV, REVIEW_ENV, ADMIN_ENV, SWEEPER_ENV, CLOSER_ENV]) {
      expect(envNames(schema)).to.include.members(['TABLE_NAME', 'AUDIT_RETENTION_DAYS', 'PENDING_SHARDS']);
      expect(read(schema, { ...keys, TABLE_NAME: 't', REVIEW_URL: 'https://x.example/review', BASE_URL: 'https://x.example' })).to.include({
        AUDIT_RETENTION_DAYS: AUDIT_RETENTION_DAYS.default,
        PENDING_SHARDS: PENDING_SHARDS.default,
      });
    }
    expect(read(ADMIN_ENV, { ...keys, TABLE_NAME: 't', BASE_URL: 'https://x.example' }).SIGN_INS_PER_ADDRESS_PER_15_MINUTES).to.equal(DEFAULT_LIMITS.signInsPerAddressPer15Minutes);
    expect(read(SWEEPER_ENV, { ...keys, TABLE_NAME: 't', REVIEW_URL: 'https://x.example/review' }).REMINDER_HOURS_BEFORE_EXPIRY).to.equal(REMINDER_HOURS_BEFORE_EXPIRY.default);
  });

  it('names every missing and every refused variable of a cold start at once', () => {
    expect(() => requestLambda({ TABLE_NAME: 'approvals', PENDING_SHARDS: 'many', AUDIT_RETENTION_DAYS: '0' })).to.throw(
      'Missing environment variables: TOKEN_KEY_ID, MAC_SECRET_ID, SENDER_EMAIL, REVIEW_URL; AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 3650, got "0"; PENDING_SHARDS must be a whole number from 1 to 256, got "many"',
    );
  });
});
