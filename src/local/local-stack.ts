/**
 * The whole moderation flow on one machine with no AWS account: the real handlers, wired by
 * the same factories as on AWS, with only their endpoints pointed at local stand-ins.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException, ScanCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import dynalite from 'dynalite';
import { postFromItem, type StoredPost } from '../blog/adapters/dynamo-post-store';
import { createKeyedTableInput, createTableInput } from '../approval/adapters/table-schema';
import { POST_PK_PREFIX } from '../blog/adapters/table-schema';
import type { ClientConfig, ClientSettings } from '../approval/lambda/client-config';
import { adminLambda } from '../approval/lambda/admin-lambda';
import { closerLambda } from '../approval/lambda/closer-lambda';
import { postCloserLambda } from '../blog/lambda/post-closer-lambda';
import { notifyLambda } from '../blog/lambda/notify-lambda';
import { postsLambda } from '../blog/lambda/posts-lambda';
import { requestLambda } from '../approval/lambda/request-lambda';
import { reviewLambda } from '../approval/lambda/review-lambda';
import { sweepEvery, sweeperLambda } from '../approval/lambda/sweeper-lambda';
import { moderationWorkflow } from '../blog/workflow/moderation-workflow';
import { startAwsGateway } from './aws-gateway';
import { localEnvironments } from './local-env';
import { createLocalApi, toApiEvent, type LocalApiRoutes } from './http-api';
import { LOCAL_KEY_ARN, LOCAL_MAC_SECRET, startLocalKms } from './local-kms';
import { startLocalSes } from './local-ses';
import { LOCAL_PAGE_HEADERS, executionPage, homePage } from './local-pages';
import { EXECUTION_NAME, LocalStepFunctions } from './local-step-functions';

export interface LocalStackOptions {
  /** API and pages (0 = any free port). */
  port?: number;
  /** SES API and the reviewers' inbox (0 = any free port). */
  inboxPort?: number;
  /** The one AWS endpoint every service answers on (0, the default here, = any free port; `npm start` uses 4566). */
  awsPort?: number;
  dataDir?: string;
  reviewers?: string[];
  /** Who may sign in to the dashboard at /admin (default admin@example.com); their links land in the same inbox. */
  admins?: string[];
  linkTtlHours?: number;
  /** Powertools log level for the handlers (default WARN: the console stays readable). */
  logLevel?: string;
  /** How often the sweeper runs (reminders, escalation, expiry, recovery); 0 turns it off. Default 60. */
  sweepSeconds?: number;
  /** Reminder time before expiry (default 24). */
  reminderHoursBeforeExpiry?: number;
  /** Shards of the pending index (default 16); every Lambda gets the same value, as on AWS. */
  pendingShards?: number;
  /** Distinct approvals that approve a post (default 1), as the stack key requiredApprovals. */
  requiredApprovals?: number;
  /** Reviewers added when nobody has decided after `escalateAfterHours` (default 48 with them). */
  escalateTo?: string[];
  escalateAfterHours?: number;
  /** Abuse limits, as the Lambdas' variables of the same names; 0 (the default here) turns one off. */
  postsPerAuthorPerHour?: number;
  postsPerClientPerHour?: number;
  signInsPerAddressPer15Minutes?: number;
}

/** The team settings, checked as `pulumi up` checks them: a mistake stops local mode before it starts. */
export function teamSettings(options: LocalStackOptions, reviewers: string[]) {
  const problems: string[] = [];
  const ttlHours = options.linkTtlHours ?? 168;
  const required = options.requiredApprovals ?? 1;
  if (!Number.isInteger(required) || required < 1 || required > reviewers.length) problems.push(`REQUIRED_APPROVALS must be a whole number from 1 to the number of reviewers (${reviewers.length})`);
  const escalateTo = options.escalateTo ?? [];
  const after = options.escalateAfterHours ?? (escalateTo.length > 0 ? 48 : undefined);
  if (after !== undefined && (!(after * 3600 >= 60) || after >= ttlHours)) problems.push(`ESCALATE_AFTER_HOURS must be at least a minute (0.0167) and less than LINK_TTL_HOURS (${ttlHours})`);
  // Unset, the reminder comes 24 hours before expiry, or halfway through a shorter review period.
  const remind = options.reminderHoursBeforeExpiry ?? Math.min(24, ttlHours / 2);
  if (options.reminderHoursBeforeExpiry !== undefined && (!(remind * 3600 >= 60) || remind >= ttlHours)) {
    problems.push(`REMINDER_HOURS_BEFORE_EXPIRY must be at least a minute and less than LINK_TTL_HOURS (${ttlHours})`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    requiredApprovals: required,
    ...(escalateTo.length > 0 ? { escalateTo, escalateAfterSeconds: Math.round(after! * 3600) } : {}),
    remindBeforeSeconds: Math.round(remind * 3600),
  };
}

export interface LocalStack {
  apiUrl: string;
  inboxUrl: string;
  /** The one AWS endpoint (`AWS_ENDPOINT_URL`) for every local AWS service (it forwards to the services the handlers call). */
  awsUrl: string;
  /** Where each local AWS service answers (all at `awsUrl`), for the AWS CLI or SDK (`--endpoint-url`). */
  endpoints: { dynamodb: string; kms: string; secretsManager: string; ses: string; stepFunctions: string };
  stepFunctions: LocalStepFunctions;
  /** Runs one sweep now, as the schedule would (reminders, escalation, expiry, recovery). */
  sweep(): Promise<unknown>;
  stop(): Promise<void>;
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
export const LOCAL_SENDER = 'approvals@example.com';
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:email-approval-moderation`;
const TABLE = 'email-approval';
/** The blog example's own table (posts, Idempotency-Keys, its counters). */
const POSTS_TABLE = 'email-approval-posts';
const SENDER = LOCAL_SENDER;

const listen = (server: Server, port: number) =>
  new Promise<number>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done((server.address() as AddressInfo).port));
  });
const close = (server: Server) => new Promise<void>((done) => server.close(() => done()));

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.data');
  const reviewers = options.reviewers ?? ['reviewer@example.com'];
  const admins = options.admins ?? ['admin@example.com'];
  const linkTtlSeconds = (options.linkTtlHours ?? 168) * 3600;
  const stops: (() => Promise<void>)[] = [];
  let sweepNow: () => Promise<unknown> = () => Promise.resolve();
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };

  try {
    // DynamoDB: dynalite on LevelDB files under DATA_DIR.
    const dynamo = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoPort = await listen(dynamo, 0);
    stops.push(() => close(dynamo));
    const kms = await startLocalKms(dataDir);
    stops.push(() => kms.close());
    // SES: aws-ses-v2-local, whose web page is the reviewers' inbox, with verified identities in front.
    mkdirSync(dataDir, { recursive: true });
    const ses = await startLocalSes({ port: options.inboxPort ?? 8005, dataDir, sender: SENDER });
    stops.push(() => ses.close());
    const inboxUrl = ses.url;

    const local = (endpoint: string): ClientSettings => ({ endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
    const dynamodb = new DynamoDBClient(local(dynamoEndpoint));
    // The approval core's table and the blog example's, as the Pulumi program creates them.
    for (const input of [createTableInput(TABLE), createKeyedTableInput(POSTS_TABLE)]) {
      await dynamodb.send(new CreateTableCommand(input)).catch((err: unknown) => {
        if (!(err instanceof ResourceInUseException)) throw err;
      });
      // dynalite activates a new table on a timer; stopping before that would leave it CREATING on disk.
      await waitUntilTableExists({ client: dynamodb, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 }, { TableName: input.TableName });
    }

    // The HTTP API listens first: the review URL in every email needs its port.
    const routes: { current?: LocalApiRoutes } = {};
    const api = createLocalApi({
      review: (event) => routes.current!.review(event),
      posts: (event) => routes.current!.posts(event),
      local: (req, url, body) => routes.current!.local(req, url, body),
    });
    const apiPort = await listen(api, options.port ?? 3000);
    stops.push(() => close(api));
    const apiUrl = `http://127.0.0.1:${apiPort}`;

    const team = teamSettings(options, reviewers);
    const definition = moderationWorkflow({ requestFunctionArn: fn('request'), notifyFunctionArn: fn('notify'), tableName: POSTS_TABLE, reviewers, linkTtlSeconds, ...team });
    // Task states call these; they are wired just below, before any execution runs.
    let requestHandler: ReturnType<typeof requestLambda> = () => Promise.reject(new Error('not wired'));
    let notifyHandler: ReturnType<typeof notifyLambda> = () => Promise.reject(new Error('not wired'));
    const stepFunctions = new LocalStepFunctions({
      dataDir,
      machines: { [LOCAL_STATE_MACHINE_ARN]: definition },
      lambdas: { [fn('request')]: (payload) => requestHandler(payload), [fn('notify')]: (payload) => notifyHandler(payload) },
      dynamodb,
    });
    await stepFunctions.start();
    stops.push(() => stepFunctions.stop());
    // One endpoint for all of them, as LocalStack offers, for the AWS CLI and SDKs: it forwards
    // to these same services. The handlers call the services directly: the extra hop cost local
    // mode a quarter of its posts per second (22.6 vs 30.1 posts/s, 300 posts, bench/local-flow.ts).
    const gateway = await startAwsGateway(
      { stepFunctions: stepFunctions.url, dynamodb: dynamoEndpoint, kms: kms.url, secretsManager: kms.url, ses: inboxUrl },
      options.awsPort ?? 0,
    );
    stops.push(() => gateway.close());
    const awsUrl = gateway.url;
    const clients: ClientConfig = {
      dynamodb: local(dynamoEndpoint),
      kms: local(kms.url),
      secretsManager: local(kms.url),
      ses: local(inboxUrl),
      sfn: local(stepFunctions.url),
    };
    const logger = (serviceName: string) => new Logger({ serviceName, logLevel: (options.logLevel ?? 'WARN') as 'WARN' });
    // Each function's environment from its schema, as the Pulumi program writes it; the blog
    // example's functions work on its own table.
    const env = localEnvironments({
      tableName: TABLE,
      postsTableName: POSTS_TABLE,
      tokenKeyId: LOCAL_KEY_ARN,
      macSecretId: LOCAL_MAC_SECRET,
      clientHashSecretId: LOCAL_MAC_SECRET,
      senderEmail: SENDER,
      apiUrl,
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      admins,
      reminderHoursBeforeExpiry: team.remindBeforeSeconds / 3600,
      pendingShards: options.pendingShards,
      postsPerAuthorPerHour: options.postsPerAuthorPerHour,
      postsPerClientPerHour: options.postsPerClientPerHour,
      signInsPerAddressPer15Minutes: options.signInsPerAddressPer15Minutes,
    });
    requestHandler = requestLambda(env.request, clients, logger('approval-request'));
    notifyHandler = notifyLambda(env.notify, clients, logger('author-notify'));
    const review = reviewLambda(env.review, clients, logger('approval-review'));
    const posts = postsLambda(env.posts, clients, logger('posts-api'));
    const admin = adminLambda(env.admin, clients, logger('approval-admin'));
    // The EventBridge rules on "Execution Status Change": the core closes the requests of an
    // execution that ended, the blog fails a post left IN_REVIEW. Delivered at least once.
    const closer = closerLambda(env.closer, clients, logger('approval-closer'));
    const postCloser = postCloserLambda(env.postCloser, clients, logger('post-closer'));
    stepFunctions.onStatusChange((event) => closer(event));
    stepFunctions.onStatusChange((event) => postCloser(event));
    stepFunctions.resumePending();
    void stepFunctions.redeliverEnded();
    // The same sweeper the EventBridge rule runs on AWS, on an interval.
    const sweepSeconds = options.sweepSeconds ?? 60;
    const sweeper = sweeperLambda(env.sweeper, clients, logger('approval-sweeper'));
    sweepNow = () => sweeper();
    if (sweepSeconds > 0) {
      stops.push(sweepEvery(() => sweeper(), sweepSeconds * 1000));
    }

    async function listPosts(): Promise<StoredPost[]> {
      const items: StoredPost[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamodb.send(
          new ScanCommand({
            TableName: POSTS_TABLE,
            FilterExpression: 'begins_with(pk, :prefix)',
            ExpressionAttributeValues: { ':prefix': { S: POST_PK_PREFIX } },
            ExclusiveStartKey: start as never,
          }),
        );
        for (const item of page.Items ?? []) items.push(postFromItem(unmarshall(item)));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    }

    routes.current = {
      review,
      posts,
      async local(req, url, body) {
        const html = (statusCode: number, page: string) => ({ statusCode, headers: { ...LOCAL_PAGE_HEADERS }, body: page });
        if (url.pathname === '/admin' || url.pathname.startsWith('/admin/')) {
          // API Gateway turns the result's `cookies` into Set-Cookie headers; so does this (one cookie at most).
          const { cookies, ...result } = await admin(toApiEvent(req, url, body, `${req.method ?? 'GET'} /admin/{proxy+}`));
          return cookies?.length ? { ...result, headers: { ...result.headers, 'set-cookie': cookies.join(', ') } } : result;
        }
        if (url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
          const message = url.searchParams.get('submitted') ? 'Submitted: the reviewers have an email in the inbox.' : undefined;
          return html(200, homePage({ posts: await listPosts(), reviewers, inboxUrl, message }));
        }
        if (url.pathname === '/local/posts' && req.method === 'POST') {
          // The home page's form, sent on to the real posts handler as the JSON API call.
          const form = new URLSearchParams(body);
          const json = JSON.stringify({ title: form.get('title') ?? '', body: form.get('body') ?? '', authorEmail: form.get('authorEmail') ?? '' });
          const event = toApiEvent(req, new URL('/posts', apiUrl), json, 'POST /posts');
          event.headers['content-type'] = 'application/json';
          const result = await posts(event);
          if (result.statusCode === 202) return { statusCode: 303, headers: { location: '/?submitted=1', 'cache-control': 'no-store' }, body: '' };
          const error = (JSON.parse(String(result.body)) as { error: { message: string; details?: string[] } }).error;
          return html(result.statusCode ?? 400, homePage({ posts: await listPosts(), reviewers, inboxUrl, message: [error.message, ...(error.details ?? [])].join(' ') }));
        }
        if (url.pathname.startsWith('/executions/') && req.method === 'GET') {
          // Any name Step Functions allows (a `/` is not one of them), as the page's link encodes it.
          let name: string;
          try {
            name = decodeURIComponent(url.pathname.slice('/executions/'.length));
          } catch {
            return undefined;
          }
          if (!EXECUTION_NAME.test(name)) return undefined;
          const executionArn = `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
          const record = stepFunctions.executions.get(executionArn);
          if (!record) return undefined;
          return html(200, executionPage(record, definition, inboxUrl, new Date(), stepFunctions.history(executionArn)));
        }
        return undefined;
      },
    };

    const endpoints = { dynamodb: awsUrl, kms: awsUrl, secretsManager: awsUrl, ses: awsUrl, stepFunctions: awsUrl };
    return { apiUrl, inboxUrl, awsUrl, endpoints, stepFunctions, sweep: () => sweepNow(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
