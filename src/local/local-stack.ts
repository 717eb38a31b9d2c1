/**
 * The whole moderation flow on one machine with no AWS account: the real handlers, wired by
 * the same factories as on AWS, with only their endpoints pointed at local stand-ins.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import dynalite from 'dynalite';
import { createKeyedTableInput, createTableInput } from '../approval/adapters/table-schema';
import { LINK_TTL_HOURS, LOCAL_SWEEP_SECONDS } from '../approval/defaults';
import type { ClientConfig, ClientSettings } from '../approval/lambda/client-config';
import { adminLambda } from '../approval/lambda/admin-lambda';
import { closerLambda } from '../approval/lambda/closer-lambda';
import { requestLambda } from '../approval/lambda/request-lambda';
import { reviewLambda } from '../approval/lambda/review-lambda';
import { sweepEvery, sweeperLambda } from '../approval/lambda/sweeper-lambda';
import { notifyLambda } from '../blog/lambda/notify-lambda';
import { postCloserLambda } from '../blog/lambda/post-closer-lambda';
import { postsLambda } from '../blog/lambda/posts-lambda';
import { moderationWorkflow } from '../blog/workflow/moderation-workflow';
import { startAwsGateway } from './aws-gateway';
import { createLocalApi, type LocalApiRoutes } from './http-api';
import { localEnvironments } from './local-env';
import { LOCAL_KEY_ARN, LOCAL_MAC_SECRET, startLocalKms } from './local-kms';
import { localRoutes } from './local-routes';
import { LOCAL_SENDER, LOCAL_STATE_MACHINE_ARN, POSTS_TABLE, REGION, TABLE, fn, teamSettings, type LocalStackOptions } from './local-settings';
import { startLocalSes } from './local-ses';
import { LocalStepFunctions } from './local-step-functions';
import { close, listen } from './servers';

export { LOCAL_SENDER, LOCAL_STATE_MACHINE_ARN, teamSettings, type LocalStackOptions } from './local-settings';

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

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.data');
  const reviewers = options.reviewers ?? ['reviewer@example.com'];
  const admins = options.admins ?? ['admin@example.com'];
  const linkTtlSeconds = (options.linkTtlHours ?? LINK_TTL_HOURS.default) * 3600;
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
    const ses = await startLocalSes({ port: options.inboxPort ?? 8005, dataDir, sender: LOCAL_SENDER });
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
      senderEmail: LOCAL_SENDER,
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
    const sweepSeconds = options.sweepSeconds ?? LOCAL_SWEEP_SECONDS;
    const sweeper = sweeperLambda(env.sweeper, clients, logger('approval-sweeper'));
    sweepNow = () => sweeper();
    if (sweepSeconds > 0) {
      stops.push(sweepEvery(() => sweeper(), sweepSeconds * 1000));
    }

    routes.current = { review, posts, local: localRoutes({ admin, posts, apiUrl, inboxUrl, reviewers, dynamodb, stepFunctions, definition }) };

    const endpoints = { dynamodb: awsUrl, kms: awsUrl, secretsManager: awsUrl, ses: awsUrl, stepFunctions: awsUrl };
    return { apiUrl, inboxUrl, awsUrl, endpoints, stepFunctions, sweep: () => sweepNow(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
