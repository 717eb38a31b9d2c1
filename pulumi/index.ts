/**
 * `npx pulumi up`: the blog-moderation example with its reusable approval core.
 * Configuration is validated before anything is declared (see the README's Deploy section).
 */
import * as pulumi from '@pulumi/pulumi';
import { APPROVAL_TASK_CONTRACT } from './approval';
import { BlogModeration } from './blog/blog-moderation';
import { readSettings } from './settings';

const project = new pulumi.Config('email-approval');
const awsConfig = new pulumi.Config('aws');
const settings = readSettings((key) => {
  const [namespace, name] = key.split(':') as [string, string];
  return (namespace === 'aws' ? awsConfig : project).get(name);
});

const blog = new BlogModeration('email-approval', {
  senderEmail: settings.senderEmail,
  reviewers: settings.reviewers,
  linkTtlHours: settings.linkTtlHours,
  domain: settings.domain,
  admins: settings.admins,
  requiredApprovals: settings.requiredApprovals,
  escalateTo: settings.escalateTo,
  escalateAfterHours: settings.escalateAfterHours,
  reminderHoursBeforeExpiry: settings.reminderHoursBeforeExpiry,
  auditRetentionDays: settings.auditRetentionDays,
  pendingShards: settings.pendingShards,
  alarmEmail: settings.alarmEmail,
  createSenderIdentity: settings.createSenderIdentity,
  postsTable: settings.postsTable,
  certificateArn: settings.certificateArn,
  postsConcurrency: settings.postsConcurrency,
  postsPerAuthorPerHour: settings.postsPerAuthorPerHour,
  postsPerClientPerHour: settings.postsPerClientPerHour,
  signInsPerAddressPer15Minutes: settings.signInsPerAddressPer15Minutes,
});

export const apiUrl = blog.apiUrl;
export const stateMachineArn = blog.stateMachine.arn;
export const tableName = blog.approval.table.name;
/** The blog example's own table (posts, Idempotency-Keys, its counters). */
export const postsTableName = blog.postsTable.name;
export const requestFunctionArn = blog.approval.requestFunction.arn;
/** Execution ends the closers could not handle (README: "Execution ends that could not be handled"). */
export const deadLetterQueueUrl = blog.approval.endedDeadLetters.url;
export const customDomainTarget = blog.approval.domainTarget;
export const adminUrl = pulumi.interpolate`${blog.apiUrl}/admin`;
/** The SNS topic operator alarms publish to (subscribe more endpoints to it). */
export const alarmTopicArn = blog.approval.alarmTopic.arn;
/** What another state machine passes to `requestFunctionArn` with lambda:invoke.waitForTaskToken, and gets back. */
export const approvalTaskContract = APPROVAL_TASK_CONTRACT;
