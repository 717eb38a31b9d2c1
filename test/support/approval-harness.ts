/**
 * The approval core wired as in Lambda, with every AWS client but DynamoDB stubbed by
 * aws-sdk-client-mock (DynamoDB is dynalite, see dynalite.ts) and a clock the test moves.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { KMSClient } from '@aws-sdk/client-kms';
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoExecutionRegistry } from '../../src/approval/adapters/dynamo-execution-registry';
import { DynamoRequestStore } from '../../src/approval/adapters/dynamo-request-store';
import { KmsTokenCipher } from '../../src/approval/adapters/kms-token-cipher';
import { SesMailer } from '../../src/approval/adapters/ses-mailer';
import { SfnTaskCallback } from '../../src/approval/adapters/sfn-task-callback';
import { keyringFromSecret } from '../../src/approval/domain/mac-keyring';
import { apiEvent } from '../../src/approval/http/api-event';
import { createRequestHandler } from '../../src/approval/handlers/request-handler';
import { createReviewHandler } from '../../src/approval/handlers/review-handler';
import { requestIdFor } from '../../src/approval/services/request-approval';
import { TEST_KEY_ID, installFakeKms } from './fake-kms';
import { rememberSecret } from './log-guard';
import { startTestTable, type TestTable } from './dynalite';

export const REVIEW_URL = 'https://abcdef1234.execute-api.eu-west-1.amazonaws.com/review';
export const HOST = 'abcdef1234.execute-api.eu-west-1.amazonaws.com';
export const START = new Date('2026-11-28T09:00:00.000Z');

export const kms = mockClient(KMSClient);
export const ses = mockClient(SESClient);
export const sfn = mockClient(SFNClient);

export const keyring = keyringFromSecret(
  JSON.stringify({ current: '2', keys: { '1': randomBytes(32).toString('base64'), '2': randomBytes(32).toString('base64') } }),
);

/** A task token shaped like Step Functions' (base64 text), registered as a secret for the log guard. */
export function makeTaskToken(chars = 1000): string {
  const token = randomBytes(Math.ceil((chars * 3) / 4) + 3).toString('base64').slice(0, chars);
  rememberSecret(token);
  return token;
}

export function approvalTask(overrides: Record<string, unknown> = {}, token = makeTaskToken()) {
  return {
    taskToken: token,
    request: {
      subject: 'Publish “Hello world”',
      summary: 'A first blog post is waiting for review.',
      details: 'Body preview:\nHello world!',
      reviewers: ['alice@example.com', 'bob@example.com'],
      requestedBy: 'author@example.com',
      ...overrides,
    },
  };
}

export interface SentEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  approveUrl: string;
  rejectUrl: string;
}

/** The emails SES was asked to send, with the links pulled out of the text part. */
export function sentEmails(): SentEmail[] {
  return ses.commandCalls(SendEmailCommand).map((call) => {
    const input = call.args[0].input as SendEmailCommandInput;
    const text = input.Message!.Body!.Text!.Data!;
    const approveUrl = /^Approve: (\S+)$/m.exec(text)?.[1] ?? '';
    const rejectUrl = /^Reject: (\S+)$/m.exec(text)?.[1] ?? '';
    for (const url of [approveUrl, rejectUrl]) {
      const q = new URL(url).searchParams;
      rememberSecret(q.get('m') ?? undefined);
    }
    return {
      to: input.Destination!.ToAddresses![0]!,
      subject: input.Message!.Subject!.Data!,
      html: input.Message!.Body!.Html!.Data!,
      text,
      approveUrl,
      rejectUrl,
    };
  });
}

export function httpEvent(method: string, rawQueryString = '', body?: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return apiEvent({
    method,
    path: '/review',
    query: rawQueryString,
    headers: { host: HOST, ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers },
    body,
    userAgent: 'test',
  });
}

/** Hidden form fields of a confirmation page, as the browser would post them. */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]!] = m[2]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
  }
  return fields;
}

export interface Harness {
  table: TestTable;
  clock: { now: Date; advance(seconds: number): void };
  request: ReturnType<typeof createRequestHandler>;
  review: ReturnType<typeof createReviewHandler>;
  /** Runs the request Lambda for a task and returns its request id. */
  submit(task?: ReturnType<typeof approvalTask>): Promise<string>;
  /** GET a link, as a reviewer's click. */
  open(url: string): ReturnType<ReturnType<typeof createReviewHandler>>;
  /** Opens a link and posts its confirmation form with the given decision and comment. */
  confirm(url: string, decision?: 'approve' | 'reject', comment?: string): ReturnType<ReturnType<typeof createReviewHandler>>;
  post(fields: Record<string, string>, headers?: Record<string, string>): ReturnType<ReturnType<typeof createReviewHandler>>;
  stop(): Promise<void>;
}

/** Starts a fresh table and resets every stub; call in beforeEach, stop in afterEach. */
export async function startHarness(options: { leaseSeconds?: number } = {}): Promise<Harness> {
  kms.reset();
  ses.reset();
  sfn.reset();
  installFakeKms(kms);
  ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
  sfn.on(SendTaskSuccessCommand).resolves({});

  const table = await startTestTable();
  const clock = {
    now: new Date(START),
    advance(seconds: number) {
      this.now = new Date(this.now.getTime() + seconds * 1000);
    },
  };
  const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
  const store = new DynamoRequestStore(table.client, table.tableName);
  const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const cipher = new KmsTokenCipher(new KMSClient(region), TEST_KEY_ID);
  const executions = new DynamoExecutionRegistry(table.client, table.tableName);
  const request = createRequestHandler({
    store,
    executions,
    cipher,
    mailer: new SesMailer(new SESClient(region), 'approvals@example.com'),
    keyring: () => keyring,
    reviewUrl: REVIEW_URL,
    logger,
    now: () => clock.now,
  });
  const review = createReviewHandler({
    store,
    decider: () => ({ cipher, callback: new SfnTaskCallback(new SFNClient(region)), mailer: new SesMailer(new SESClient(region), 'approvals@example.com') }),
    keyring: () => keyring,
    logger,
    now: () => clock.now,
    leaseSeconds: options.leaseSeconds,
  });

  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    review(httpEvent('POST', '', new URLSearchParams(fields).toString(), { origin: `https://${HOST}`, ...headers }));
  const open = (url: string) => review(httpEvent('GET', new URL(url).search.slice(1)));

  return {
    table,
    clock,
    request,
    review,
    async submit(task = approvalTask()) {
      await request(task);
      return requestIdFor(task.taskToken);
    },
    open,
    async confirm(url, decision, comment) {
      const page = await open(url);
      if (page.statusCode !== 200) return page;
      const fields = formFields(page.body as string);
      rememberSecret(fields.t);
      const action = new URL(url).searchParams.get('a') as 'approve' | 'reject';
      return post({ ...fields, decision: decision ?? action, ...(comment !== undefined ? { comment } : {}) });
    },
    post,
    stop: () => table.stop(),
  };
}
