/**
 * The request lifecycle (../domain/lifecycle) in DynamoDB's words: each transition's condition
 * expression, built from its rule, and the DynamoDB actions each store method sends (what the
 * Lambdas' IAM roles must allow for their part of the store).
 */
import { TRANSITIONS, type RequestStatus, type Transition, type TransitionRule } from '../domain/lifecycle';
import type { RequestStore } from '../domain/request-store';

type Item = Record<string, unknown>;

/**
 * A lifecycle transition's requirements (see TRANSITIONS) as a DynamoDB condition: the status it
 * leaves as `:from`, the links' expiry against `:now`, the caller's lease against `:lease` (the
 * caller supplies `:now` and `:lease`). `to` is the status it writes as `:to`, one of the rule's.
 */
export function transitionCondition(transition: Transition, to?: RequestStatus): { condition: string; names: Record<string, string>; values: Item } {
  const rule: TransitionRule = TRANSITIONS[transition];
  if (to !== undefined && !rule.to.includes(to)) throw new RangeError(`${transition} cannot lead to ${to}`);
  const parts = ['#status = :from'];
  if (rule.links === 'open') parts.push('expiresAt > :now');
  if (rule.links === 'expired') parts.push('expiresAt <= :now');
  if (rule.lease) parts.push('leaseUntil = :lease');
  return { condition: parts.join(' AND '), names: { '#status': 'status' }, values: { ':from': rule.from, ...(to !== undefined ? { ':to': to } : {}) } };
}

/** The one status a transition leads to (those with a choice name it: see `decidedStatus`). */
export const onlyTarget = (transition: Transition): RequestStatus => {
  const targets: readonly RequestStatus[] = TRANSITIONS[transition].to;
  if (targets.length !== 1) throw new RangeError(`${transition} leads to one of several statuses`);
  return targets[0]!;
};

export type DynamoAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'Query';

/**
 * The DynamoDB actions each method of the store may send (on `REQ#` items, or the pending index
 * for Query): what a Lambda's IAM role must allow for the methods of its role in the store.
 */
export const STORE_ACTIONS: { readonly [M in keyof RequestStore]-?: readonly DynamoAction[] } = {
  // A failed condition whose exception carries no item is followed by a consistent read.
  createIfAbsent: ['PutItem', 'GetItem'],
  claimDecision: ['UpdateItem', 'GetItem'],
  recordVote: ['UpdateItem', 'GetItem'],
  get: ['GetItem'],
  replaceToken: ['UpdateItem'],
  claimNotification: ['UpdateItem'],
  releaseNotification: ['UpdateItem'],
  appendAudit: ['UpdateItem'],
  recordOpened: ['UpdateItem'],
  takeOverDecision: ['UpdateItem'],
  completeDecision: ['UpdateItem'],
  abandonDecision: ['UpdateItem'],
  markExpired: ['UpdateItem'],
  closePending: ['UpdateItem'],
  claimClosedNotice: ['UpdateItem'],
  claimReminder: ['UpdateItem'],
  escalate: ['UpdateItem'],
  expirePending: ['UpdateItem'],
  pendingShards: [],
  pendingPage: ['Query'],
  listPending: ['Query'],
  listRecent: ['Query'],
};
