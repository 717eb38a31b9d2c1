/**
 * Local mode's own pages beside the HTTP API: the home page (posts and a form to submit one), the
 * dashboard's routes (`/admin…`, as API Gateway routes them), and each execution's page.
 */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { adminLambda } from '../approval/lambda/admin-lambda';
import { postFromItem, type StoredPost } from '../blog/adapters/dynamo-post-store';
import { POST_PK_PREFIX } from '../blog/adapters/table-schema';
import type { postsLambda } from '../blog/lambda/posts-lambda';
import type { AslDefinition } from '../blog/workflow/moderation-workflow';
import { toApiEvent, type LocalApiRoutes } from './http-api';
import { LOCAL_PAGE_HEADERS, executionPage, homePage } from './local-pages';
import { LOCAL_STATE_MACHINE_ARN, POSTS_TABLE } from './local-settings';
import { EXECUTION_NAME, type LocalStepFunctions } from './local-step-functions';

export interface LocalRoutesDeps {
  admin: ReturnType<typeof adminLambda>;
  posts: ReturnType<typeof postsLambda>;
  apiUrl: string;
  inboxUrl: string;
  reviewers: string[];
  dynamodb: DynamoDBClient;
  stepFunctions: LocalStepFunctions;
  definition: AslDefinition;
}

/** Every post in the example's table, for the home page (a scan: local mode holds few). */
async function listPosts(dynamodb: DynamoDBClient): Promise<StoredPost[]> {
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

/** The routes the API does not serve itself; undefined for any other path (a 404). */
export function localRoutes({ admin, posts, apiUrl, inboxUrl, reviewers, dynamodb, stepFunctions, definition }: LocalRoutesDeps): LocalApiRoutes['local'] {
  return async (req, url, body) => {
    const html = (statusCode: number, page: string) => ({ statusCode, headers: { ...LOCAL_PAGE_HEADERS }, body: page });
    if (url.pathname === '/admin' || url.pathname.startsWith('/admin/')) {
      // API Gateway turns the result's `cookies` into Set-Cookie headers; so does this (one cookie at most).
      const { cookies, ...result } = await admin(toApiEvent(req, url, body, `${req.method ?? 'GET'} /admin/{proxy+}`));
      return cookies?.length ? { ...result, headers: { ...result.headers, 'set-cookie': cookies.join(', ') } } : result;
    }
    if (url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      const message = url.searchParams.get('submitted') ? 'Submitted: the reviewers have an email in the inbox.' : undefined;
      return html(200, homePage({ posts: await listPosts(dynamodb), reviewers, inboxUrl, message }));
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
      return html(result.statusCode ?? 400, homePage({ posts: await listPosts(dynamodb), reviewers, inboxUrl, message: [error.message, ...(error.details ?? [])].join(' ') }));
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
  };
}
