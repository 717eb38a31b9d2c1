import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { toEnvironment, type EnvInput, type EnvSchema } from '../../src/approval/config';
import { trustPolicy, type PolicyDocument } from './iam-policies';
import { lambdaErrorsAlarm, type AlarmingComponent } from './operator-alarms';

export interface NodeFunctionArgs<S extends EnvSchema = EnvSchema> {
  /** The function's short name (`request`, `posts`): resources are named `${prefix}-${name}-…`. */
  name: string;
  /** A folder with the function's bundle (`index.mjs` exporting `handler`). */
  code: string;
  description: string;
  /** The variables the function reads at cold start: its environment is written from `environment` by this schema. */
  schema: S;
  /** A value for every variable `schema` declares (`undefined`: the default, or unset); outputs are passed through. */
  environment: EnvInput<S, pulumi.Input<string>>;
  /** The role's only inline policy, given the function's log group ARN. */
  policy: (logGroupArn: pulumi.Output<string>) => pulumi.Output<PolicyDocument>;
  timeoutSeconds: number;
  memoryMb?: number;
  /** Reserved concurrency: at most this many at once, and never starved by the account's other functions. */
  reservedConcurrency?: number;
  logRetentionDays: number;
  /** A role created beforehand (when another resource, like a key policy, must name it first). */
  role?: aws.iam.Role;
}

export interface NodeFunction {
  fn: aws.lambda.Function;
  role: aws.iam.Role;
  logGroup: aws.cloudwatch.LogGroup;
  errorsAlarm: aws.cloudwatch.MetricAlarm;
}

/** A role only Lambda may assume, named `${prefix}-${code}-role`. */
export function lambdaRole(prefix: string, code: string, parent: pulumi.Resource): aws.iam.Role {
  return new aws.iam.Role(`${prefix}-${code}-role`, { assumeRolePolicy: JSON.stringify(trustPolicy('lambda.amazonaws.com')) }, { parent });
}

/**
 * One Lambda on nodejs24.x (arm64) with its environment written from its schema, its own role,
 * inline least-privilege policy, a log group with retention that the function writes JSON logs
 * to, and an alarm on its errors that publishes to the parent's alarm topic (so no function goes
 * unwatched). Children of `parent`, named `${prefix}-${name}-…`.
 */
export function nodeFunction<S extends EnvSchema>(prefix: string, args: NodeFunctionArgs<S>, parent: AlarmingComponent): NodeFunction {
  const name = `${prefix}-${args.name}`;
  // The type guarantees the property, not that the constructor has set it yet.
  if (!parent.alarmTopic) throw new Error(`${name}: create the component's alarm topic before its functions`);
  // Before any of its resources: a value the function would refuse at cold start stops the program here.
  let variables: Record<string, pulumi.Input<string>>;
  try {
    variables = toEnvironment<S, pulumi.Input<string>>(args.schema, args.environment);
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const opts = { parent };
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays }, opts);
  const role = args.role ?? lambdaRole(prefix, args.name, parent);
  const policy = new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: pulumi.jsonStringify(args.policy(logGroup.arn)) }, opts);
  const fn = new aws.lambda.Function(
    `${name}-fn`,
    {
      description: args.description,
      runtime: 'nodejs24.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      code: new pulumi.asset.FileArchive(args.code),
      role: role.arn,
      memorySize: args.memoryMb ?? 512,
      ...(args.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: args.reservedConcurrency } : {}),
      timeout: args.timeoutSeconds,
      environment: { variables: { NODE_OPTIONS: '--enable-source-maps', ...variables } },
      loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
    },
    // The policy must exist before the first invocation can log or call anything.
    { parent, dependsOn: [policy] },
  );
  const errorsAlarm = lambdaErrorsAlarm(name, { fn, logGroup, description: args.description }, parent.alarmTopic, parent);
  return { fn, role, logGroup, errorsAlarm };
}
