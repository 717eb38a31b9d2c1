/** Step Functions execution-end events, as the closers receive them. */
export const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:moderation:p-AAAAAAAAAAAAAAAAAAAAAA';

/** Step Functions' status-change event, as EventBridge delivers it. */
export function statusChange(status: string, executionArn = EXECUTION) {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2026-11-28T10:00:00Z',
    region: 'eu-west-1',
    resources: [executionArn],
    detail: { executionArn, stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:moderation', name: executionArn.split(':').at(-1), status, startDate: 1, stopDate: 2, input: '{}' },
  };
}
