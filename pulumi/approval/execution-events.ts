/**
 * EventBridge rules on Step Functions' "Execution Status Change" events: Step Functions puts
 * one on the account's default bus whenever a STANDARD execution changes status, so a rule
 * scoped to one state machine can react to how its executions end.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { deadLetterQueuePolicy } from './iam-policies';
import { countAlarm } from './operator-alarms';

export type EndStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The event pattern: this state machine's executions ending with one of `statuses`. */
export function executionEndPattern(stateMachineArn: string, statuses: EndStatus[]): object {
  return {
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    detail: { stateMachineArn: [stateMachineArn], status: statuses },
  };
}

/**
 * The queue that keeps execution ends nobody could handle, with an alarm when it holds any:
 * events EventBridge could not deliver, and invocations that failed after Lambda's retries.
 * Kept 14 days (the most SQS allows), encrypted with SQS-managed keys.
 */
export function deadLetterQueue(
  name: string,
  args: { partition: pulumi.Input<string>; region: pulumi.Input<string>; accountId: pulumi.Input<string>; topic: aws.sns.Topic },
  parent: pulumi.Resource,
): aws.sqs.Queue {
  const queue = new aws.sqs.Queue(name, { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true }, { parent });
  new aws.sqs.QueuePolicy(
    `${name}-policy`,
    {
      queueUrl: queue.url,
      policy: pulumi
        .all([args.partition, args.region, args.accountId, queue.arn])
        .apply(([partition, region, accountId, queueArn]) => JSON.stringify(deadLetterQueuePolicy({ partition, region, accountId, queueArn }))),
    },
    { parent },
  );
  countAlarm(
    `${name}-waiting`,
    {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queue.name },
      description: pulumi.interpolate`Execution ends that could not be handled wait in queue ${queue.name}: their requests or posts may still be open. See the README, "Execution ends that could not be handled".`,
    },
    args.topic,
    parent,
  );
  return queue;
}

/**
 * Lambda's handling of asynchronous invocations for a closer: two retries (its handlers are
 * idempotent), then the event goes to the dead-letter queue instead of being dropped.
 */
export function keepFailedInvocations(name: string, fn: aws.lambda.Function, queue: aws.sqs.Queue, parent: pulumi.Resource): aws.lambda.FunctionEventInvokeConfig {
  return new aws.lambda.FunctionEventInvokeConfig(
    name,
    { functionName: fn.name, maximumRetryAttempts: 2, maximumEventAgeInSeconds: 6 * 3600, destinationConfig: { onFailure: { destination: queue.arn } } },
    { parent },
  );
}

/**
 * A rule `${name}` that invokes `fn` when an execution of `stateMachine` ends with one of
 * `statuses`, and the permission for EventBridge to invoke it. Delivery is asynchronous:
 * EventBridge retries for up to 24 hours if Lambda cannot take the event, and Lambda retries a
 * failed invocation twice (the handlers are idempotent; their Errors alarm tells an operator);
 * what still fails waits in `deadLetters`.
 */
export function onExecutionEnd(
  name: string,
  stateMachine: aws.sfn.StateMachine,
  statuses: EndStatus[],
  fn: aws.lambda.Function,
  deadLetters: aws.sqs.Queue,
  parent: pulumi.Resource,
): aws.cloudwatch.EventRule {
  const rule = new aws.cloudwatch.EventRule(
    name,
    {
      description: `Execution ends (${statuses.join(', ')})`,
      eventPattern: stateMachine.arn.apply((arn) => JSON.stringify(executionEndPattern(arn, statuses))),
    },
    { parent },
  );
  new aws.cloudwatch.EventTarget(
    `${name}-target`,
    { rule: rule.name, arn: fn.arn, deadLetterConfig: { arn: deadLetters.arn }, retryPolicy: { maximumEventAgeInSeconds: 24 * 3600, maximumRetryAttempts: 185 } },
    { parent },
  );
  new aws.lambda.Permission(`${name}-invoke`, { action: 'lambda:InvokeFunction', function: fn.name, principal: 'events.amazonaws.com', sourceArn: rule.arn }, { parent });
  return rule;
}
