import { expect } from 'chai';
import { DEFAULT_LIMITS, read } from '../../../src/approval';
import { NOTIFY_ENV, POSTS_ENV, POST_CLOSER_ENV } from '../../../src/blog/lambda/env';
import { notifyLambda } from '../../../src/blog/lambda/notify-lambda';
import { postCloserLambda } from '../../../src/blog/lambda/post-closer-lambda';
import { postsLambda } from '../../../src/blog/lambda/posts-lambda';
import { expectSchemaContract } from '../../support/env-schema';

describe("the blog example's Lambda environments", () => {
  it('posts: written and read back alike; a missing or refused variable fails the cold start, named', () => {
    expectSchemaContract(
      POSTS_ENV,
      { TABLE_NAME: 'posts', STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:m', CLIENT_HASH_SECRET_ID: 'client-hash', POSTS_PER_AUTHOR_PER_HOUR: 2, POSTS_PER_CLIENT_PER_HOUR: 0 },
      { POSTS_PER_AUTHOR_PER_HOUR: '1.5', POSTS_PER_CLIENT_PER_HOUR: '1000001' },
      postsLambda,
    );
    expect(read(POSTS_ENV, { TABLE_NAME: 'posts', STATE_MACHINE_ARN: 'm' })).to.include({
      POSTS_PER_AUTHOR_PER_HOUR: DEFAULT_LIMITS.postsPerAuthorPerHour,
      POSTS_PER_CLIENT_PER_HOUR: DEFAULT_LIMITS.postsPerClientPerHour,
    });
  });

  it('notify and post closer: the same', () => {
    expectSchemaContract(NOTIFY_ENV, { SENDER_EMAIL: 'approvals@example.com', SES_CONFIGURATION_SET: 'tracked' }, {}, notifyLambda);
    expectSchemaContract(POST_CLOSER_ENV, { TABLE_NAME: 'posts', SENDER_EMAIL: 'approvals@example.com', SES_CONFIGURATION_SET: undefined }, {}, postCloserLambda);
  });
});
