/** One account's ARNs for the core's resources, as the IAM suites build the policies from them. */
import type { ServiceArns } from '../../pulumi/approval/iam-policies';

export const ACCOUNT = '123456789012';
export const SERVICE_ARNS: ServiceArns = {
  partition: 'aws',
  region: 'eu-west-1',
  accountId: ACCOUNT,
  tableArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/approvals`,
  tokenKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
  macSecretArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:mac-AbCdEf`,
  senderEmail: 'approvals@example.com',
};
