/**
 * EventBridge rules on Step Functions' "Execution Status Change" events: Step Functions puts
 * one on the account's default bus whenever a STANDARD execution changes status, so a rule
 * scoped to one state machine can react to how its executions end.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

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
 * A rule `${name}` that invokes `fn` when an execution of `stateMachine` ends with one of
 * `statuses`, and the permission for EventBridge to invoke it. Delivery is asynchronous:
 * EventBridge retries for up to 24 hours if Lambda cannot take the event, and Lambda retries a
 * failed invocation twice (the handlers are idempotent; their Errors alarm tells an operator).
 */
export function onExecutionEnd(
  name: string,
  stateMachine: aws.sfn.StateMachine,
  statuses: EndStatus[],
  fn: aws.lambda.Function,
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
  new aws.cloudwatch.EventTarget(`${name}-target`, { rule: rule.name, arn: fn.arn }, { parent });
  new aws.lambda.Permission(`${name}-invoke`, { action: 'lambda:InvokeFunction', function: fn.name, principal: 'events.amazonaws.com', sourceArn: rule.arn }, { parent });
  return rule;
}
