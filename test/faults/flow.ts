/**
 * The whole blog-moderation flow in one process, for fault injection: the real handlers and
 * adapters, DynamoDB in dynalite, KMS/SES/Step Functions stubbed, and the deployed state machine
 * definition run by aws-local-stepfunctions. Every AWS call goes through a FaultPlan. Retries are
 * whatever retries them on AWS: the definition's Retry for the request and notify Lambdas and
 * for Step Functions' own DynamoDB calls, a second click for a reviewer or an admin, the next
 * run for the sweeper, Lambda's asynchronous retries for the closers, the client for POST /posts.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { StateMachine } from 'aws-local-stepfunctions';
import { DynamoExecutionRegistry } from '../../src/approval/adapters/dynamo-execution-registry';
import { DynamoIdempotencyKeys } from '../../src/blog/adapters/dynamo-idempotency-keys';
import { DynamoPostStore } from '../../src/blog/adapters/dynamo-post-store';
import { DynamoRateCounter } from '../../src/approval/adapters/dynamo-rate-counter';
import { DynamoRequestStore } from '../../src/approval/adapters/dynamo-request-store';
import { DynamoSweepCursor } from '../../src/approval/adapters/dynamo-sweep-cursor';
import { KmsTokenCipher } from '../../src/approval/adapters/kms-token-cipher';
import { SesMailer } from '../../src/approval/adapters/ses-mailer';
import { SfnTaskCallback } from '../../src/approval/adapters/sfn-task-callback';
import { SfnWorkflowStarter } from '../../src/blog/adapters/sfn-workflow-starter';
import { executionKey } from '../../src/approval/adapters/table-schema';
import { DECISION_LEASE_SECONDS } from '../../src/approval/defaults';
import type { Post } from '../../src/blog/domain/post';
import type { ApprovalRecord } from '../../src/approval/domain/ports';
import { apiEvent } from '../../src/approval/http/api-event';
import { createRequestCloserHandler } from '../../src/approval/handlers/execution-ended-handler';
import { createPostCloserHandler } from '../../src/blog/handlers/post-closer-handler';
import { createNotifyHandler } from '../../src/blog/handlers/notify-handler';
import { createPostsHandler } from '../../src/blog/handlers/posts-handler';
import { createRequestHandler } from '../../src/approval/handlers/request-handler';
import { createReviewHandler } from '../../src/approval/handlers/review-handler';
import { createSweeperHandler } from '../../src/approval/lambda/sweeper-lambda';
import type { AppLogger } from '../../src/approval/logger';
import { decide } from '../../src/approval/services/review-decision';
import { STATE, moderationWorkflow, type AslDefinition } from '../../src/blog/workflow/moderation-workflow';
import { REVIEW_URL, keyring, kms, ses, sfn } from '../support/approval-harness';
import { startTestTable, type TestTable } from '../support/dynalite';
import { TEST_KEY_ID, fakeDecrypt, fakeEncrypt } from '../support/fake-kms';
import { rememberSecret } from '../support/log-guard';
import type { Actor, FaultPlan } from './fault-plan';

export const DAY = 24 * 3600;
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:moderation';
const FN = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const quiet = { info() {}, warn() {}, error() {}, addContext() {} } as unknown as AppLogger;

class NamedError extends Error {
  constructor(name: string, message = name) {
    super(message);
    this.name = name;
  }
}

interface Execution {
  name: string;
  arn: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  token: string;
  waiting?: { resolve(value: unknown): void; reject(err: Error): void };
  /** The callback Step Functions accepted for this execution's task (at most one, by construction). */
  callback?: unknown;
  /** How many SendTaskSuccess/Failure calls Step Functions accepted: must stay ≤ 1. */
  accepted: number;
  taskClosed: boolean;
  /** While its end is being handed to the closers. */
  closing?: boolean;
}

export interface FlowOptions {
  reviewers?: string[];
  escalateTo?: string[];
  escalateAfterSeconds?: number;
  linkTtlSeconds?: number;
}

/** Where the flow ended and what broke the promises, for the fault table. */
export interface Outcome {
  post: string;
  request: string;
  callbacks: number;
  reviewEmails: Record<string, number>;
  reminders: Record<string, number>;
  authorEmails: number;
  /** Executions started: one post, one execution, whatever its submission's retries. */
  executions: number;
}

export class Flow {
  readonly clock = {
    now: new Date('2026-11-28T09:00:00.000Z'),
    advance: (seconds: number) => (this.clock.now = new Date(this.clock.now.getTime() + seconds * 1000)),
  };
  readonly executions = new Map<string, Execution>();
  readonly sent: SendEmailCommandInput[] = [];
  private readonly machine: StateMachine;
  private readonly definition: AslDefinition;
  private readonly handlers;
  private readonly store: DynamoRequestStore;
  private readonly posts: DynamoPostStore;
  private tokens = 0;

  private constructor(
    readonly plan: FaultPlan,
    readonly table: TestTable,
    options: FlowOptions,
  ) {
    const client = table.client;
    // Two index shards: every path across shards is exercised, with fewer calls to fail in turn.
    this.store = new DynamoRequestStore(client, table.tableName, undefined, 2);
    this.posts = new DynamoPostStore(client, table.tableName);
    const executions = new DynamoExecutionRegistry(client, table.tableName);
    const cipher = new KmsTokenCipher(new KMSClient(region), TEST_KEY_ID);
    const mailer = new SesMailer(new SESClient(region), 'approvals@example.com');
    const callback = new SfnTaskCallback(new SFNClient(region));
    const now = () => this.clock.now;
    const definition = moderationWorkflow({
      requestFunctionArn: FN('request'),
      notifyFunctionArn: FN('notify'),
      tableName: table.tableName,
      reviewers: options.reviewers ?? ['alice@example.com', 'bob@example.com'],
      linkTtlSeconds: options.linkTtlSeconds ?? 7 * DAY,
      ...(options.escalateTo ? { escalateTo: options.escalateTo, escalateAfterSeconds: options.escalateAfterSeconds ?? 2 * DAY } : {}),
      remindBeforeSeconds: DAY,
    });
    // The task's timeout is this harness's to fire (`expireTasks`), on its own clock.
    delete definition.States[STATE.request]!.TimeoutSeconds;
    this.definition = definition;
    this.machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    this.handlers = {
      posts: createPostsHandler({
        posts: this.posts,
        keys: new DynamoIdempotencyKeys(client, table.tableName),
        workflow: new SfnWorkflowStarter(new SFNClient(region), MACHINE),
        // The limits as deployed: their counters are AWS calls that fail in turn too.
        limits: { counter: new DynamoRateCounter(client, table.tableName), keyring: () => keyring, perAuthorPerHour: 5, perClientPerHour: 20 },
        logger: quiet,
        now,
      }),
      request: createRequestHandler({ store: this.store, executions, cipher, mailer, keyring: () => keyring, reviewUrl: REVIEW_URL, logger: quiet, now }),
      review: createReviewHandler({ store: this.store, decider: () => ({ cipher, callback, mailer }), keyring: () => keyring, logger: quiet, now, leaseSeconds: DECISION_LEASE_SECONDS }),
      notify: createNotifyHandler({ mailer, logger: quiet }),
      sweeper: createSweeperHandler({ store: this.store, cursor: new DynamoSweepCursor(client, table.tableName), mailer, keyring: () => keyring, reviewUrl: REVIEW_URL, cipher, callback, defaults: { remindBeforeSeconds: DAY }, logger: quiet, now }),
      closer: createRequestCloserHandler({ store: this.store, executions, mailer, logger: quiet, now }),
      postCloser: createPostCloserHandler({ posts: this.posts, mailer, logger: quiet }),
      admin: (requestId: string, decision: 'approved' | 'rejected') =>
        decide({ requestId, voter: { kind: 'admin', email: 'boss@example.com' }, decision }, { store: this.store, cipher, callback, keyring, mailer, leaseSeconds: DECISION_LEASE_SECONDS }, this.clock.now),
    };
  }

  static async start(plan: FaultPlan, options: FlowOptions = {}): Promise<Flow> {
    const table = await startTestTable();
    const flow = new Flow(plan, table, options);
    flow.install();
    return flow;
  }

  stop(): Promise<void> {
    for (const execution of this.executions.values()) execution.waiting?.reject(new NamedError('Local.Stopped'));
    return this.table.stop();
  }

  /** Routes every AWS call through the plan: DynamoDB by middleware, the stubbed clients by their fakes. */
  private install(): void {
    const plan = this.plan;
    this.table.client.middlewareStack.add(
      (next, context) => async (args) => {
        // Marshalled ({ S: … }) from the base client, plain strings from the document client.
        type Pk = string | { S?: string } | undefined;
        const input = args.input as { Key?: { pk?: Pk }; Item?: { pk?: Pk }; IndexName?: string };
        const raw = input.Key?.pk ?? input.Item?.pk;
        const pk = typeof raw === 'string' ? raw : raw?.S;
        const kind = pk ? pk.slice(0, pk.indexOf('#')) : input.IndexName ? 'index' : 'table';
        return plan.around('DynamoDB', `${String(context.commandName).replace(/Command$/, '')} ${kind}`, () => next(args));
      },
      { step: 'initialize', name: 'faultPlan', priority: 'high' },
    );
    kms.reset();
    ses.reset();
    sfn.reset();
    kms.on(EncryptCommand).callsFake((input) => plan.around('KMS', 'Encrypt', async () => ({ CiphertextBlob: fakeEncrypt(input.KeyId, input.Plaintext, input.EncryptionContext), KeyId: input.KeyId })));
    kms.on(DecryptCommand).callsFake((input) => plan.around('KMS', 'Decrypt', async () => ({ Plaintext: fakeDecrypt(input.KeyId, input.CiphertextBlob, input.EncryptionContext), KeyId: input.KeyId })));
    ses.on(SendEmailCommand).callsFake((input: SendEmailCommandInput) =>
      plan.around('SES', 'SendEmail', async () => {
        this.sent.push(input);
        return { MessageId: `m-${this.sent.length}` };
      }),
    );
    sfn.on(StartExecutionCommand).callsFake((input) => plan.around('SFN', 'StartExecution', async () => this.startExecution(input.name!, input.input!)));
    sfn.on(SendTaskSuccessCommand).callsFake((input) => plan.around('SFN', 'SendTaskSuccess', async () => this.accept(input.taskToken!, JSON.parse(input.output!))));
    sfn.on(SendTaskFailureCommand).callsFake((input) => plan.around('SFN', 'SendTaskFailure', async () => this.accept(input.taskToken!, new NamedError(input.error ?? 'States.TaskFailed'))));
  }

  // ── Step Functions, in process ───────────────────────────────────────────────────────────

  private startExecution(name: string, input: string) {
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.input !== input) throw Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists', $metadata: {} });
      return { executionArn: existing.arn, startDate: new Date() };
    }
    const token = `${'T'.repeat(40)}${++this.tokens}${'k'.repeat(40)}`;
    rememberSecret(token);
    const execution: Execution = { name, arn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`, input, status: 'RUNNING', token, accepted: 0, taskClosed: false };
    this.executions.set(name, execution);
    void this.run(execution);
    return { executionArn: execution.arn, startDate: new Date() };
  }

  private accept(token: string, result: unknown) {
    const execution = [...this.executions.values()].find((e) => e.token === token);
    if (!execution) throw Object.assign(new Error('no such task'), { name: 'TaskDoesNotExist', $metadata: {} });
    if (execution.taskClosed || execution.status !== 'RUNNING') throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut', $metadata: {} });
    execution.accepted++;
    execution.taskClosed = true;
    execution.callback = result;
    if (execution.waiting) this.settleTask(execution);
    return {};
  }

  private settleTask(execution: Execution): void {
    const waiting = execution.waiting!;
    execution.waiting = undefined;
    if (execution.callback instanceof Error) waiting.reject(execution.callback);
    else waiting.resolve(execution.callback);
  }

  /** Times out every waiting task (the definition's TimeoutSeconds, fired on the test's clock). */
  expireTasks(): void {
    for (const execution of this.executions.values()) {
      if (execution.waiting && !execution.taskClosed) {
        execution.taskClosed = true;
        const { reject } = execution.waiting;
        execution.waiting = undefined;
        reject(new NamedError('States.Timeout'));
      }
    }
  }

  /** Runs a Lambda invocation for the workflow: a crash is `Lambda.Unknown`, a thrown error keeps its name. */
  private async lambda(actor: Actor, run: () => Promise<unknown>): Promise<unknown> {
    const { crashed, result, error } = await this.plan.invoke(actor, run);
    if (crashed) throw new NamedError('Lambda.Unknown');
    if (error) throw error;
    return result;
  }

  private async run(execution: Execution): Promise<void> {
    const dynamo = (command: new (input: never) => unknown) => async (params: Record<string, unknown>) => {
      const { error, result } = await this.plan.invoke('workflow', () => this.table.client.send(new command(params as never) as never));
      if (error) throw new NamedError(`DynamoDB.${(error as Error).name}`);
      return result;
    };
    const overrides: Record<string, (params: Record<string, unknown>) => Promise<unknown>> = {
      [STATE.create]: dynamo(PutItemCommand as never),
      [STATE.request]: async (params) => {
        if (!execution.taskClosed) await this.lambda('request', () => this.handlers.request(params.Payload));
        return new Promise((resolve, reject) => {
          execution.waiting = { resolve, reject };
          if (execution.taskClosed && execution.callback !== undefined) this.settleTask(execution);
        });
      },
    };
    for (const state of [STATE.publish, STATE.reject, STATE.expire, STATE.fail]) overrides[state] = dynamo(UpdateItemCommand as never);
    for (const state of [STATE.notifyPublished, STATE.notifyRejected, STATE.notifyExpired, STATE.notifyFailed]) {
      overrides[state] = async (params) => ({ StatusCode: 200, Payload: await this.lambda('notify', () => this.handlers.notify(params.Payload)) });
    }
    const input = JSON.parse(execution.input);
    const retryIntervalOverrides = Object.fromEntries(Object.keys(this.definition.States).map((name) => [name, 0]));
    const running = this.machine.run(input, {
      overrides: { taskResourceLocalHandlers: overrides as never, retryIntervalOverrides },
      context: {
        Execution: { Id: execution.arn, Name: execution.name, Input: input, StartTime: this.clock.now.toISOString() },
        State: { EnteredTime: this.clock.now.toISOString(), Name: STATE.request },
        Task: { Token: execution.token },
      } as never,
    });
    try {
      await running.result;
      execution.status = 'SUCCEEDED';
    } catch {
      execution.status = 'FAILED';
    }
    execution.taskClosed = true;
    execution.closing = true;
    await this.ended(execution);
    execution.closing = false;
  }

  /** The "Execution Status Change" event to both closers, with Lambda's two asynchronous retries. */
  private async ended(execution: Execution): Promise<void> {
    const event = {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: execution.arn, stateMachineArn: MACHINE, name: execution.name, status: execution.status },
    };
    const closers: [Actor, (event: unknown) => Promise<unknown>][] = [
      ['closer', this.handlers.closer],
      ['post-closer', this.handlers.postCloser],
    ];
    for (const [actor, handler] of closers) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const { crashed, error } = await this.plan.invoke(actor, () => handler(event));
        if (!crashed && !error) break;
      }
    }
  }

  /** Lets everything in flight run until only tasks waiting for a callback (or nothing) remain. */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 20; ) {
      await new Promise((resolve) => setImmediate(resolve));
      const busy = [...this.executions.values()].some((e) => (e.status === 'RUNNING' && !e.waiting) || e.closing);
      quiet = busy ? 0 : quiet + 1;
    }
  }

  // ── People ─────────────────────────────────────────────────────────────────────────────────

  private event(method: string, path: string, query = '', body?: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
    return apiEvent({ method, path, query, headers: { host: 'abcdef1234.execute-api.eu-west-1.amazonaws.com', ...headers }, body, userAgent: 'faults' });
  }

  /** An author submits a post; on any answer but 202 (or a dead Lambda) the client retries with the same Idempotency-Key. */
  async submit(post: { title: string; body: string; authorEmail: string }, attempts = 3): Promise<string | undefined> {
    for (let i = 0; i < attempts; i++) {
      const { crashed, result } = await this.plan.invoke('posts', () =>
        this.handlers.posts(this.event('POST', '/posts', '', JSON.stringify(post), { 'content-type': 'application/json', 'idempotency-key': 'author-1' })),
      );
      await this.settle();
      if (!crashed && result?.statusCode === 202) return (JSON.parse(result.body as string) as { id: string }).id;
    }
    return undefined;
  }

  /** The links of the newest review email to `reviewer`. */
  linksOf(reviewer: string): { approve: string; reject: string } | undefined {
    const email = [...this.sent].reverse().find((e) => e.Destination?.ToAddresses?.[0] === reviewer && /^(?:Review requested|Reminder)/.test(e.Message?.Subject?.Data ?? ''));
    const text = email?.Message?.Body?.Text?.Data ?? '';
    const approve = /^Approve: (\S+)$/m.exec(text)?.[1];
    const reject = /^Reject: (\S+)$/m.exec(text)?.[1];
    return approve && reject ? { approve, reject } : undefined;
  }

  /**
   * A reviewer opens their link and confirms. A person retries what failed (a 5xx, a dead Lambda,
   * "decision being recorded") a minute later; a refusal (already decided, closed) is final.
   */
  async click(reviewer: string, action: 'approve' | 'reject', attempts = 4): Promise<number | undefined> {
    let status: number | undefined;
    for (let i = 0; i < attempts; i++) {
      const links = this.linksOf(reviewer);
      if (!links) return undefined;
      const url = new URL(links[action]);
      const page = await this.plan.invoke('review', () => this.handlers.review(this.event('GET', '/review', url.search.slice(1))));
      status = page.crashed ? 502 : page.result?.statusCode;
      let body = page.crashed ? '' : String(page.result?.body ?? '');
      if (status === 200) {
        const fields: Record<string, string> = {};
        for (const m of body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&#x2F;/g, '/').replace(/&amp;/g, '&');
        rememberSecret(fields.t);
        const form = new URLSearchParams({ ...fields, decision: action }).toString();
        const posted = await this.plan.invoke('review', () =>
          this.handlers.review(this.event('POST', '/review', '', form, { 'content-type': 'application/x-www-form-urlencoded', origin: `https://${url.host}` })),
        );
        status = posted.crashed ? 502 : posted.result?.statusCode;
        body = posted.crashed ? '' : String(posted.result?.body ?? '');
      }
      await this.settle();
      // Done: decided, or refused for good. Anything else (5xx, a dead Lambda, a decision still
      // being recorded) a person tries again a minute later.
      const final = status === 200 || status === 410 || status === 403 || (status === 409 && !body.includes('DECISION_IN_PROGRESS'));
      if (final) break;
      this.clock.advance(61);
    }
    return status;
  }

  /** An admin decides from the dashboard; retried a minute later when it fails. */
  async adminDecides(requestId: string, decision: 'approved' | 'rejected', attempts = 4): Promise<boolean> {
    for (let i = 0; i < attempts; i++) {
      const { crashed, error } = await this.plan.invoke('admin', () => this.handlers.admin(requestId, decision));
      await this.settle();
      if (!crashed && !error) return true;
      const code = (error as { code?: string } | undefined)?.code;
      if (code === 'ALREADY_DECIDED' || code === 'TASK_CLOSED' || code === 'REVIEW_CLOSED') return true;
      this.clock.advance(61);
    }
    return false;
  }

  /** One scheduled sweep; a failed one is simply followed by the next. */
  async sweep(): Promise<void> {
    await this.plan.invoke('sweeper', () => this.handlers.sweeper());
    await this.settle();
  }

  // ── What happened ──────────────────────────────────────────────────────────────────────────

  async requestOf(postId: string): Promise<ApprovalRecord | undefined> {
    const execution = this.executions.get(postId);
    if (!execution) return undefined;
    const { Item } = await this.table.client.send(new GetItemCommand({ TableName: this.table.tableName, Key: { pk: { S: executionKey(execution.arn).pk }, sk: { S: 'EXECUTION' } }, ConsistentRead: true }));
    const id = Item?.requests?.SS?.[0];
    return id ? this.store.get(id) : undefined;
  }

  async postOf(postId: string): Promise<Post | undefined> {
    return this.posts.get(postId);
  }

  async outcome(postId: string | undefined, author: string): Promise<Outcome> {
    const count = (pattern: RegExp) => {
      const by: Record<string, number> = {};
      for (const e of this.sent) if (pattern.test(e.Message?.Subject?.Data ?? '')) by[e.Destination!.ToAddresses![0]!] = (by[e.Destination!.ToAddresses![0]!] ?? 0) + 1;
      return by;
    };
    const post = postId ? await this.postOf(postId) : undefined;
    const request = postId ? await this.requestOf(postId) : undefined;
    const execution = postId ? this.executions.get(postId) : undefined;
    return {
      post: post ? `${post.status}${post.failureReason ? ` ${post.failureReason}` : ''}` : 'none',
      request: request?.status ?? 'none',
      callbacks: execution?.accepted ?? 0,
      reviewEmails: count(/^Review requested/),
      reminders: count(/^Reminder/),
      authorEmails: this.sent.filter((e) => e.Destination!.ToAddresses![0] === author).length,
      executions: this.executions.size,
    };
  }

}
