/**
 * The approval core's Pulumi API (the package's `email-approval/pulumi` entry):
 * `new ApprovalService('approvals', { senderEmail })`, whose `requestFunction` a state machine
 * invokes through the approval task contract, and the pieces a consumer needs around it — the
 * IAM statements to grant its own functions, a Lambda with role, logs and alarm, and the
 * execution-end rules. The blog example uses the core only through here.
 */
export { ApprovalService, rateExpression, type ApprovalServiceArgs } from './approval-service';
export { aliasName, keyringSecret, tokenKey } from './keys';
export { httpApi, lambdaRoutes, type HttpApi, type HttpApiArgs } from './http-api';
export { APPROVAL_FUNCTIONS, approvalFunctionCode, bundleEntry, type ApprovalFunctionName } from './bundle';
export { lambdaRole, nodeFunction, type NodeFunction, type NodeFunctionArgs } from './node-function';
export { keepFailedInvocations, onExecutionEnd } from './execution-events';
export { stateMachineAlarms, type AlarmingComponent } from './operator-alarms';
export {
  LOG_DELIVERY_ACTIONS,
  invokeFunctions,
  keepFailedEvents,
  leadingKeys,
  policyDocument,
  sendEmail,
  trustPolicy,
  writeLogs,
  type PolicyDocument,
  type SenderArns,
  type ServiceArns,
  type Statement,
} from './iam-policies';
export { APPROVAL_TASK_CONTRACT, APPROVAL_TASK_RESOURCE, APPROVAL_TASK_RETRY, TASK_ERROR, approvalTaskParameters, type ApprovalRequestInput, type ApprovalTaskOutput } from '../../src/approval/task-contract';
