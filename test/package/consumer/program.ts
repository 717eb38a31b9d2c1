/**
 * Someone else's Pulumi program, as the README shows it: the approval service from the installed
 * `email-approval` package, and a state machine of its own whose approval step invokes the
 * service's request function through the approval task contract.
 */
import * as aws from '@pulumi/aws';
import { APPROVAL_TASK_RESOURCE, APPROVAL_TASK_RETRY, ApprovalService, TASK_ERROR, approvalTaskParameters, invokeFunctions, policyDocument, trustPolicy } from 'email-approval/pulumi';

const approvals = new ApprovalService('approvals', { senderEmail: 'approvals@example.com' });

// The state machine's own role may invoke the request function, and nothing else.
const role = new aws.iam.Role('release-role', { assumeRolePolicy: JSON.stringify(trustPolicy('states.amazonaws.com')) });
const invoke = new aws.iam.RolePolicy('release-invoke', {
  role: role.id,
  policy: approvals.requestFunction.arn.apply((arn) => JSON.stringify(policyDocument(invokeFunctions('InvokeApproval', [arn])))),
});

export const releaseMachine = new aws.sfn.StateMachine(
  'release',
  {
    roleArn: role.arn,
    definition: approvals.requestFunction.arn.apply((arn) =>
      JSON.stringify({
        StartAt: 'Approve',
        States: {
          Approve: {
            Type: 'Task',
            Resource: APPROVAL_TASK_RESOURCE,
            Parameters: approvalTaskParameters(arn, 'Approve', {
              subject: 'Release 2.0 to production',
              'summary.$': '$.summary',
              reviewers: ['lead@example.com', 'ops@example.com'],
              ttlSeconds: 24 * 3600,
            }),
            TimeoutSeconds: 24 * 3600,
            Retry: APPROVAL_TASK_RETRY,
            Catch: [
              { ErrorEquals: [TASK_ERROR.NO_REVIEWERS, TASK_ERROR.INVALID_APPROVAL_REQUEST, TASK_ERROR.EMAIL_REJECTED], ResultPath: '$.error', Next: 'CannotAsk' },
              { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotApproved' },
            ],
            ResultPath: '$.approval',
            Next: 'Decided',
          },
          Decided: { Type: 'Choice', Choices: [{ Variable: '$.approval.decision', StringEquals: 'approved', Next: 'Release' }], Default: 'NotApproved' },
          Release: { Type: 'Succeed' },
          CannotAsk: { Type: 'Fail', Error: 'CannotAsk', Cause: 'The approval request could not be sent' },
          NotApproved: { Type: 'Fail', Error: 'NotApproved' },
        },
      }),
    ),
  },
  { dependsOn: [invoke] },
);

// Requests still open when an execution ends another way (stopped, timed out) are closed.
approvals.closeRequestsOnEnd('release', releaseMachine);

export const requestFunctionArn = approvals.requestFunction.arn;
