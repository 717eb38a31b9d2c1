/**
 * Operator alarms: one SNS topic, optionally emailing one address, and CloudWatch alarms that
 * publish to it when a Lambda throws or a workflow execution fails or times out.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { alarmTopicPolicy } from './iam-policies';

/** A component whose alarms go to `alarmTopic`; `nodeFunction` alarms on each of its functions there. */
export interface AlarmingComponent extends pulumi.Resource {
  readonly alarmTopic: aws.sns.Topic;
}

export interface AlarmTopicArgs {
  /** Subscribed by email when given (SNS first emails it a confirmation link). */
  email?: string;
  partition: pulumi.Input<string>;
  region: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
}

/**
 * The topic every alarm publishes to, named `${name}-alarms`, with a policy that lets CloudWatch
 * publish and, when `email` is given, an email subscription.
 */
export function alarmTopic(name: string, args: AlarmTopicArgs, parent: pulumi.Resource): aws.sns.Topic {
  // Not encrypted at rest, on purpose. CloudWatch publishes to an SSE-KMS topic only if the key
  // policy lets cloudwatch.amazonaws.com use the key, and the AWS-managed alias/aws/sns key's
  // policy cannot be changed, so alarms sent to a topic under it are dropped. A customer-managed
  // key would add a billed key and one more policy to keep right, where a mistake silences every
  // alarm, to protect only alarm names, states and counts: no tokens, links or addresses.
  const topic = new aws.sns.Topic(`${name}-alarms`, { displayName: `${name} alarms` }, { parent });
  new aws.sns.TopicPolicy(
    `${name}-alarms-policy`,
    {
      arn: topic.arn,
      policy: pulumi
        .all([args.partition, args.region, args.accountId, topic.arn])
        .apply(([partition, region, accountId, topicArn]) => JSON.stringify(alarmTopicPolicy({ partition, region, accountId, topicArn }))),
    },
    { parent },
  );
  if (args.email) {
    new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: 'email', endpoint: args.email }, { parent });
  }
  return topic;
}

export interface CountMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  /** What happened and where to look; it is the body of the email. */
  description: pulumi.Input<string>;
}

/**
 * Alarms on any occurrence: Sum over 5 minutes ≥ 1, one period. Periods without data (no
 * invocations, no executions) count as fine, not unknown. It notifies on ALARM and on OK:
 * CloudWatch notifies only when the state changes, so without the OK email an operator could
 * not tell a failure that stopped from one still going on. No INSUFFICIENT_DATA action: with
 * missing data treated as fine, that state only appears while a new alarm starts.
 */
export function countAlarm(name: string, metric: CountMetric, topic: aws.sns.Topic, parent: pulumi.Resource): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      alarmDescription: metric.description,
      namespace: metric.namespace,
      metricName: metric.metricName,
      dimensions: metric.dimensions,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [topic.arn],
      okActions: [topic.arn],
    },
    { parent },
  );
}

/** `${name}-errors`: the function threw (or timed out, or ran out of memory) at least once. */
export function lambdaErrorsAlarm(
  name: string,
  target: { fn: aws.lambda.Function; logGroup: aws.cloudwatch.LogGroup; description: string },
  topic: aws.sns.Topic,
  parent: pulumi.Resource,
): aws.cloudwatch.MetricAlarm {
  return countAlarm(
    `${name}-errors`,
    {
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: target.fn.name },
      description: pulumi.interpolate`Lambda ${target.fn.name} (${target.description}) failed at least once in 5 minutes. Its logs are in the log group ${target.logGroup.name}.`,
    },
    topic,
    parent,
  );
}

/** `${name}-failed` and `${name}-timed-out`: executions of the state machine that did not finish well. */
export function stateMachineAlarms(name: string, stateMachine: aws.sfn.StateMachine, topic: aws.sns.Topic, parent: pulumi.Resource): aws.cloudwatch.MetricAlarm[] {
  const dimensions = { StateMachineArn: stateMachine.arn };
  return [
    countAlarm(
      `${name}-failed`,
      {
        namespace: 'AWS/States',
        metricName: 'ExecutionsFailed',
        dimensions,
        description: pulumi.interpolate`An execution of state machine ${stateMachine.name} failed in the last 5 minutes; its execution history names the state and the error.`,
      },
      topic,
      parent,
    ),
    countAlarm(
      `${name}-timed-out`,
      {
        namespace: 'AWS/States',
        metricName: 'ExecutionsTimedOut',
        dimensions,
        description: pulumi.interpolate`An execution of state machine ${stateMachine.name} ran past its TimeoutSeconds in the last 5 minutes.`,
      },
      topic,
      parent,
    ),
  ];
}
