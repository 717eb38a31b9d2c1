/**
 * The deployer's permissions: one IAM policy for the principal that runs `pulumi up`,
 * `pulumi refresh` and `pulumi destroy` on this program, built from the resource types and
 * invokes the program declares. The Pulumi AWS provider is the Terraform AWS provider
 * underneath, so each type lists the API calls that provider makes to create, read, update and
 * delete it, waits and tag reads included. Resources are scoped to the program's names; "*" only
 * where AWS authorises nothing narrower. A pure function of (partition, region, account, types),
 * so the tests simulate exactly what `npm run deployer-policy` prints. Pulumi's state storage
 * (Pulumi Cloud, or an S3 bucket) is not in it.
 */
import type { PolicyDocument, Statement } from '../approval';
import { INVOKE_GRANTS, RESOURCE_GRANTS, TAG_GRANTS } from './grants';
import { ACCOUNT_WIDE, PLACES, type DeployerScope, type Grant, type Place, type ProgramTokens } from './places';

export type { DeployerScope, ProgramTokens } from './places';

/** Providers whose resources never call AWS (`random` generates in the engine, state only). */
const LOCAL_PACKAGES = new Set(['random']);

const packageOf = (token: string) => token.split(':')[0]!;

function grantsFor(token: string, table: Record<string, readonly Grant[]>): readonly Grant[] | undefined {
  if (LOCAL_PACKAGES.has(packageOf(token))) return [];
  return Object.hasOwn(table, token) ? table[token] : undefined;
}

/** Every resource type and invoke the deployer policy knows how to grant (the tests compare them with the program's). */
export const MAPPED_RESOURCE_TYPES: readonly string[] = Object.keys(RESOURCE_GRANTS);
export const MAPPED_INVOKES: readonly string[] = Object.keys(INVOKE_GRANTS);

/** The tokens among `used` that have no mapping here: a policy built without them would fail the deploy. */
export function unmappedTokens(used: ProgramTokens): string[] {
  return [
    ...used.resourceTypes.filter((t) => grantsFor(t, RESOURCE_GRANTS) === undefined),
    ...used.invokes.filter((t) => grantsFor(t, INVOKE_GRANTS) === undefined),
  ];
}

/**
 * Patterns written in place of the exact actions they stand for, so that the policy stays under
 * IAM's 6,144-character limit for a managed policy. Each matches exactly its list in the Service
 * Authorization Reference (the tests check), and replaces it only where a statement holds the
 * whole list: a pattern never grants more than the listed actions.
 */
export const ACTION_PATTERNS: Readonly<Record<string, readonly string[]>> = {
  'logs:*LogDeliver*': ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries'],
  'lambda:*FunctionEventInvokeConfig': ['lambda:PutFunctionEventInvokeConfig', 'lambda:GetFunctionEventInvokeConfig', 'lambda:UpdateFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig'],
  'lambda:*FunctionConcurrency': ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency'],
  'states:*StateMachine': ['states:CreateStateMachine', 'states:DescribeStateMachine', 'states:UpdateStateMachine', 'states:DeleteStateMachine'],
  'kms:*Alias': ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
  'events:*Targets*': ['events:PutTargets', 'events:ListTargetsByRule', 'events:RemoveTargets'],
  'sns:*TopicAttributes': ['sns:GetTopicAttributes', 'sns:SetTopicAttributes'],
  'sqs:*QueueAttributes': ['sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'],
  'dynamodb:*TimeToLive': ['dynamodb:DescribeTimeToLive', 'dynamodb:UpdateTimeToLive'],
  'dynamodb:*ContinuousBackups': ['dynamodb:DescribeContinuousBackups', 'dynamodb:UpdateContinuousBackups'],
  'cloudwatch:*Alarms': ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
};

/** A statement's actions, each complete ACTION_PATTERNS list written as its pattern. */
function compact(actions: Set<string>): string[] {
  const out = new Set(actions);
  for (const [pattern, list] of Object.entries(ACTION_PATTERNS)) {
    if (list.every((a) => out.has(a))) {
      for (const a of list) out.delete(a);
      out.add(pattern);
    }
  }
  return [...out].sort();
}

/** IAM takes a single value or a list: one value is written alone. */
const one = (values: string[]): string | string[] => (values.length === 1 ? values[0]! : values);

export class UnmappedTypesError extends Error {
  constructor(readonly tokens: string[]) {
    super(`No deployer permissions are mapped for: ${tokens.join(', ')}. Add what the provider calls for each to pulumi/deployer-policy.ts.`);
    this.name = 'UnmappedTypesError';
  }
}

/**
 * The least-privilege policy for deploying, refreshing and destroying a program that declares
 * `used`: one statement per place, holding every action any used type needs there, resources
 * scoped to `scope`'s partition, region, account and name prefix. Throws UnmappedTypesError
 * naming every token it has no mapping for.
 */
export function deployerPolicy(scope: DeployerScope, used: ProgramTokens): PolicyDocument {
  const unmapped = unmappedTokens(used);
  if (unmapped.length > 0) throw new UnmappedTypesError([...new Set(unmapped)]);
  const actions = new Map<Place, Set<string>>();
  const conditionValues = new Map<Place, Set<string>>();
  // The provider checks its credentials with GetCallerIdentity before anything else.
  const grants: Grant[] = [[ACCOUNT_WIDE, ['sts:GetCallerIdentity']]];
  for (const t of new Set(used.resourceTypes)) grants.push(...grantsFor(t, RESOURCE_GRANTS)!, ...(scope.tagging ? (TAG_GRANTS[t] ?? []) : []));
  for (const t of new Set(used.invokes)) grants.push(...grantsFor(t, INVOKE_GRANTS)!);
  for (const [place, names, conditionValue] of grants) {
    actions.set(place, new Set([...(actions.get(place) ?? []), ...names]));
    if (conditionValue) conditionValues.set(place, new Set([...(conditionValues.get(place) ?? []), conditionValue]));
  }
  const unordered = [...actions.keys()].filter((p) => !PLACES.includes(p));
  if (unordered.length > 0) throw new Error(`deployer-policy: add ${unordered.map((p) => p.sid).join(', ')} to PLACES`);
  const Statement = PLACES.filter((p) => actions.has(p)).map((place): Statement => {
    const names = compact(actions.get(place)!);
    const resources = place.resources(scope);
    const values = [...(conditionValues.get(place) ?? [])].sort();
    const condition = place.collects ? { StringEquals: { [place.collects]: one(values) } } : place.condition?.(scope);
    return {
      Sid: place.sid,
      Effect: 'Allow',
      Action: one(names),
      Resource: one(resources),
      ...(condition ? { Condition: condition } : {}),
    };
  });
  return { Version: '2012-10-17', Statement };
}
