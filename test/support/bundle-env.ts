/** Environment for loading a Lambda bundle in a fresh process: dummy config, AWS pointed at a closed loopback port. */
export const BUNDLE_LOAD_ENV = {
  PATH: process.env.PATH,
  TABLE_NAME: 'approvals',
  TOKEN_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/1',
  MAC_SECRET_ID: 'mac',
  SENDER_EMAIL: 'approvals@example.com',
  REVIEW_URL: 'https://example.com/review',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:m',
  CLIENT_HASH_SECRET_ID: 'client-hash',
  BASE_URL: 'https://example.com',
  ADMINS: 'admin@example.com',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
  // Nothing listens here: the keyring prefetch at load fails fast instead of leaving the machine.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};
