/**
 * Each Lambda's part of the request store fits its IAM role: every DynamoDB action a method of
 * its store role may send (STORE_ACTIONS, which the dynalite lifecycle suite checks against the
 * commands the store really sends) is allowed by the role's policy on `REQ#` items, or on the
 * pending index for Query. The method lists below must name exactly each role's methods, or
 * this file does not compile.
 */
import { expect } from 'chai';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { STORE_ACTIONS } from '../../../src/approval/adapters/request-conditions';
import type { AdminStore, CloserStore, RequestStore, RequestWriter, ReviewStore, SweeperStore } from '../../../src/approval/domain/request-store';
import {
  adminFunctionPolicy,
  closerFunctionPolicy,
  requestFunctionPolicy,
  reviewFunctionPolicy,
  sweeperFunctionPolicy,
  type PolicyDocument,
} from '../../../pulumi/approval/iam-policies';
import { ACCOUNT, SERVICE_ARNS } from '../../support/service-arns';

const arns = SERVICE_ARNS;
const logGroupArn = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:fn`;

const methods = <T>(names: Record<keyof T, true>) => Object.keys(names) as (keyof RequestStore)[];

const requestWriter = methods<RequestWriter>({ createIfAbsent: true, replaceToken: true, claimNotification: true, releaseNotification: true, appendAudit: true, closePending: true, claimClosedNotice: true });
const reviewStore = methods<ReviewStore>({ get: true, claimDecision: true, recordVote: true, recordOpened: true, takeOverDecision: true, completeDecision: true, abandonDecision: true, markExpired: true });
const adminStore = methods<AdminStore>({ ...Object.fromEntries(reviewStore.map((m) => [m, true])), listPending: true, listRecent: true } as Record<keyof AdminStore, true>);
const sweeperStore = methods<SweeperStore>({
  get: true,
  pendingShards: true,
  pendingPage: true,
  claimReminder: true,
  escalate: true,
  expirePending: true,
  claimNotification: true,
  releaseNotification: true,
  appendAudit: true,
  takeOverDecision: true,
  completeDecision: true,
  abandonDecision: true,
  markExpired: true,
});
const closerStore = methods<CloserStore>({ closePending: true, claimClosedNotice: true });

const roles: { name: string; policy: PolicyDocument; store: (keyof RequestStore)[] }[] = [
  { name: 'request', policy: requestFunctionPolicy({ ...arns, logGroupArn }), store: requestWriter },
  { name: 'review', policy: reviewFunctionPolicy({ ...arns, logGroupArn }), store: reviewStore },
  { name: 'admin', policy: adminFunctionPolicy({ ...arns, logGroupArn }), store: adminStore },
  { name: 'sweeper', policy: sweeperFunctionPolicy({ ...arns, logGroupArn }), store: sweeperStore },
  { name: 'closer', policy: closerFunctionPolicy({ ...arns, logGroupArn, deadLetterQueueArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:dlq` }), store: closerStore },
];

async function allowed(policy: PolicyDocument, action: string): Promise<boolean> {
  const query = action === 'Query';
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/fn`,
        action: `dynamodb:${action}`,
        resource: { resource: query ? `${arns.tableArn}/index/pending` : arns.tableArn, accountId: ACCOUNT },
        contextVariables: query ? {} : { 'dynamodb:LeadingKeys': ['REQ#abc'] },
      },
      identityPolicies: [{ name: 'inline', policy: JSON.parse(JSON.stringify(policy)) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error for ${action}: ${JSON.stringify(result.errors)}`);
  return result.overallResult === 'Allowed';
}

describe('request store roles and IAM roles', function () {
  this.timeout(30_000);

  for (const role of roles) {
    it(`lets the ${role.name} Lambda send every action its store role may send`, async () => {
      const actions = new Set(role.store.flatMap((m) => STORE_ACTIONS[m]));
      for (const action of actions) expect(await allowed(role.policy, action), `${role.name}: ${action}`).to.equal(true);
    });
  }

  it('keeps the roles apart where IAM does: no Query for the link and request Lambdas, no read for the closer, no put but for the request Lambda', () => {
    const sends = (store: (keyof RequestStore)[]) => new Set(store.flatMap((m) => STORE_ACTIONS[m]));
    expect(sends(reviewStore).has('Query')).to.equal(false);
    expect(sends(requestWriter).has('Query')).to.equal(false);
    expect([...sends(closerStore)]).to.deep.equal(['UpdateItem']);
    for (const store of [reviewStore, adminStore, sweeperStore, closerStore]) expect(sends(store).has('PutItem')).to.equal(false);
  });

  it('gives every store method to at least one role', () => {
    const used = new Set(roles.flatMap((r) => r.store));
    expect(Object.keys(STORE_ACTIONS).filter((m) => !used.has(m as keyof RequestStore))).to.deep.equal([]);
  });
});
