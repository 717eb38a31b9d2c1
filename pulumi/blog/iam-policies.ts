/**
 * The blog example's IAM documents, built from the core's statements: its Lambdas and state
 * machine work on the example's own table (posts `POST#…`, Idempotency-Keys `IDEM#…`, its
 * counters `RATE#post-…`) and email from the core's sender.
 */
import { LOG_DELIVERY_ACTIONS, invokeFunctions, keepFailedEvents, leadingKeys, policyDocument, sendEmail, writeLogs, type PolicyDocument, type SenderArns } from '../approval';
import { IDEMPOTENCY_PK_PREFIX, POST_PK_PREFIX } from '../../src/blog/adapters/table-schema';
import { RATE_PK_PREFIX } from '../../src/approval';

/** Where the example's resources are: the core's sender, and the example's own table. */
export interface BlogArns extends SenderArns {
  postsTableArn: string;
}

/** Post closer (blog example): fail a post left in review, email its author. */
export function postCloserFunctionPolicy(a: BlogArns & { logGroupArn: string; deadLetterQueueArn: string }): PolicyDocument {
  return policyDocument(
    { Sid: 'Posts', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: a.postsTableArn, Condition: leadingKeys(POST_PK_PREFIX) },
    sendEmail(a),
    keepFailedEvents(a.deadLetterQueueArn),
    writeLogs(a.logGroupArn),
  );
}


/**
 * Posts API: store posts and their Idempotency-Keys, count new posts (its own counters only),
 * hash what it counts with its own key (never the link-signing keys), start the moderation.
 */
export function postsFunctionPolicy(a: BlogArns & { logGroupArn: string; stateMachineArn: string; clientHashSecretArn: string }): PolicyDocument {
  return policyDocument(
    { Sid: 'Posts', Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: a.postsTableArn, Condition: leadingKeys(POST_PK_PREFIX) },
    { Sid: 'IdempotencyKeys', Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: a.postsTableArn, Condition: leadingKeys(IDEMPOTENCY_PK_PREFIX) },
    { Sid: 'PostCounters', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: a.postsTableArn, Condition: leadingKeys(`${RATE_PK_PREFIX}post-`) },
    { Sid: 'ClientHashKey', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: a.clientHashSecretArn },
    { Sid: 'Start', Effect: 'Allow', Action: 'states:StartExecution', Resource: a.stateMachineArn },
    writeLogs(a.logGroupArn),
  );
}

/** Author notification: email only. */
export function notifyFunctionPolicy(a: BlogArns & { logGroupArn: string }): PolicyDocument {
  return policyDocument(sendEmail(a), writeLogs(a.logGroupArn));
}


/** The state machine: invoke the request Lambda (the approval task contract) and the notify Lambda, store posts and their status, deliver its logs. */
export function stateMachinePolicy(a: BlogArns & { requestFunctionArn: string; notifyFunctionArn: string }): PolicyDocument {
  return policyDocument(
    invokeFunctions('Invoke', [a.requestFunctionArn, a.notifyFunctionArn]),
    { Sid: 'Posts', Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: a.postsTableArn, Condition: leadingKeys(POST_PK_PREFIX) },
    {
      Sid: 'LogDelivery',
      Effect: 'Allow',
      // CloudWatch Logs delivery for Step Functions is account-level: AWS requires "*".
      Action: LOG_DELIVERY_ACTIONS,
      Resource: '*',
    },
  );
}
