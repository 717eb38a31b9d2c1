/**
 * Local mode's own pages: the home page (submit a post, see every post and its status) and an
 * execution page that draws the state machine with the current state highlighted, as the Step
 * Functions console would. Server-rendered, no scripts, same headers as the review pages.
 */
import Mustache from 'mustache';
import { humanTime } from '../approval/domain/human-time';
import type { Post } from '../blog/domain/post';
import { POST_FAILURE_REASONS, isPostFailureReason } from '../blog/domain/post-failure';
import { pageHeaders } from '../approval/pages/page-headers';
import { STYLE as BASE_STYLE } from '../approval/pages/review-page';
import type { AslDefinition, AslState } from '../blog/workflow/moderation-workflow';
import type { HistoryEvent } from './execution-history';
import type { ExecutionRecord } from './local-step-functions';

const STYLE = `${BASE_STYLE}
main.wide{max-width:60rem}table{border-collapse:collapse;width:100%;margin-top:1rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
textarea,input[type=email]{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
.status{font-weight:bold;font-size:.8rem;padding:.1rem .45rem;border-radius:3px;background:#e4e7eb}
.status.PUBLISHED,.status.SUCCEEDED{background:#d1fae5}.status.REJECTED,.status.FAILED,.status.ABORTED{background:#fee2e2}
.status.EXPIRED,.status.TIMED_OUT{background:#fef3c7}.status.RUNNING{background:#dbeafe}
.notice{background:#fef3c7;padding:.6rem;border-radius:4px}nav a{margin-right:1rem}svg{max-width:100%;height:auto}
.cols{display:grid;gap:1.5rem}@media (min-width:56rem){.cols{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
ol.timeline{list-style:none;padding:0;margin:0}ol.timeline li{border-left:3px solid #9aa5b1;padding:.2rem 0 .5rem .6rem}
ol.timeline li.bad{border-color:#b91c1c}ol.timeline li.good{border-color:#047857}.at{color:#52606d;font-size:.85rem}`;

export const LOCAL_PAGE_HEADERS = pageHeaders(STYLE);

const LAYOUT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{title}}</title><style>{{{style}}}</style></head>
<body><main class="wide"><nav><a href="/">Posts</a><a href="{{inboxUrl}}">Reviewers' inbox</a><a href="/admin">Admin dashboard</a></nav>{{> content}}</main></body></html>`;

const HOME = `<h1>Blog moderation (local)</h1>
<p class="muted">Everything runs on this machine: DynamoDB (dynalite), SES (inbox at <a href="{{inboxUrl}}">{{inboxUrl}}</a>),
Step Functions (the deployed definition, run by aws-local-stepfunctions) and KMS. Reviewers: {{reviewers}}.</p>
{{#message}}<p class="notice">{{message}}</p>{{/message}}
<h2>Submit a post</h2>
<form method="post" action="/local/posts">
<label for="title">Title</label><input type="text" id="title" name="title" maxlength="200" required>
<label for="body">Body</label><textarea id="body" name="body" rows="5" required></textarea>
<label for="authorEmail">Your email</label><input type="email" id="authorEmail" name="authorEmail" value="author@example.com" required>
<p><button type="submit">Submit for review</button></p>
</form>
<h2>Posts</h2>
{{^posts.length}}<p class="muted">No posts yet.</p>{{/posts.length}}
{{#posts.length}}<table><thead><tr><th>Title</th><th>Author</th><th>Status</th><th>Decision</th><th>Workflow</th></tr></thead><tbody>
{{#posts}}<tr><td>{{title}}</td><td>{{authorEmail}}</td><td><span class="status {{status}}">{{status}}</span></td>
<td>{{#decision}}{{decision}} by {{decidedBy}}{{#comment}}: “{{comment}}”{{/comment}}{{/decision}}{{#failure}}<span class="code">{{code}}</span> {{summary}}{{/failure}}{{#decisionUnreadable}}The stored decision could not be read (the logs say why).{{/decisionUnreadable}}</td>
<td><a href="/executions/{{id}}">execution</a></td></tr>{{/posts}}
</tbody></table>{{/posts.length}}
<p class="muted"><a href="/">Refresh</a></p>`;

const EXECUTION = `<h1>Execution {{name}}</h1>
{{#postTitle}}<p>{{postTitle}}</p>{{/postTitle}}
<p>Status: <span class="status {{status}}">{{status}}</span>{{#currentState}} · current state: <strong>{{currentState}}</strong>{{/currentState}}{{#error}} · error <strong>{{error}}</strong>{{#cause}}: {{cause}}{{/cause}}{{/error}}</p>
<div class="cols"><section aria-labelledby="graph"><h2 id="graph">State machine</h2>
{{{svg}}}
<p class="muted">Started {{started}}. Blue: current state; green: visited.{{#running}} <a href="/executions/{{path}}">Reload</a> to follow it.{{/running}}</p></section>
<section aria-labelledby="events"><h2 id="events">Event history</h2>
{{^events.length}}<p class="muted">No events recorded.</p>{{/events.length}}
<ol class="timeline">{{#events}}<li class="{{tone}}"><strong>{{type}}</strong>{{#state}} · {{state}}{{/state}}{{#detail}}<br>{{detail}}{{/detail}}<br><span class="at"><time datetime="{{iso}}">{{at}}</time></span></li>{{/events}}</ol>
<p class="muted">The same events as <code>aws stepfunctions get-execution-history</code>.</p></section></div>`;

for (const t of [LAYOUT, HOME, EXECUTION]) Mustache.parse(t);

function page(title: string, content: string, view: object): string {
  return Mustache.render(LAYOUT, { ...view, title, style: STYLE }, { content });
}

export function homePage(view: { posts: (Post & { decisionUnreadable?: true })[]; reviewers: string[]; inboxUrl: string; message?: string }): string {
  const posts = [...view.posts]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((post) => {
      if (post.status !== 'FAILED') return post;
      const code = post.failureReason && isPostFailureReason(post.failureReason) ? post.failureReason : 'INTERNAL';
      return { ...post, failure: { code, summary: POST_FAILURE_REASONS[code].summary } };
    });
  return page('Blog moderation (local)', HOME, { ...view, posts, reviewers: view.reviewers.join(', ') });
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Every transition out of a state: Next, Default, each Choice and each Catch. */
function transitions(state: AslState): { to: string; label?: string }[] {
  const out: { to: string; label?: string }[] = [];
  if (typeof state.Next === 'string') out.push({ to: state.Next });
  for (const choice of (state.Choices as { Next: string; StringEquals?: string }[] | undefined) ?? []) out.push({ to: choice.Next, label: choice.StringEquals });
  if (typeof state.Default === 'string') out.push({ to: state.Default, label: 'default' });
  for (const c of (state.Catch as { Next: string; ErrorEquals: string[] }[] | undefined) ?? []) out.push({ to: c.Next, label: c.ErrorEquals.join(', ') });
  return out;
}

/** Transitions merged per target: a Next and a Catch into the same state make one arrow. */
function edges(state: AslState): { to: string; label?: string }[] {
  const merged = new Map<string, string[]>();
  for (const { to, label } of transitions(state)) merged.set(to, [...(merged.get(to) ?? []), ...(label ? [label] : [])]);
  return [...merged].map(([to, labels]) => ({ to, label: labels.join(' / ') || undefined }));
}

/**
 * A layered drawing of the state machine: each state one row below its deepest predecessor
 * (longest path from StartAt), so shared end states sit below every branch that reaches them.
 */
export function stateMachineSvg(definition: AslDefinition, current?: string, visited: string[] = []): string {
  const names = Object.keys(definition.States);
  const layer = new Map<string, number>([[definition.StartAt, 0]]);
  // Relaxation bounded by the state count: terminates on cycles (a retry loop) too.
  for (let round = 0; round < names.length; round++) {
    let changed = false;
    for (const [name, depth] of [...layer]) {
      for (const { to } of edges(definition.States[name] ?? {})) {
        if ((layer.get(to) ?? -1) < depth + 1 && depth + 1 < names.length) {
          layer.set(to, depth + 1);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  const rows: string[][] = [];
  for (const [name, depth] of layer) (rows[depth] ??= []).push(name);
  const W = 210, H = 40, GAP_X = 24, GAP_Y = 64;
  const width = Math.max(...rows.map((r) => r.length)) * (W + GAP_X) + GAP_X;
  const pos = new Map<string, { x: number; y: number }>();
  rows.forEach((names, depth) => {
    const rowWidth = names.length * (W + GAP_X) - GAP_X;
    names.forEach((name, i) => pos.set(name, { x: (width - rowWidth) / 2 + i * (W + GAP_X), y: 20 + depth * (H + GAP_Y) }));
  });
  const height = rows.length * (H + GAP_Y) - GAP_Y + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="State machine">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#7b8794"/></marker></defs>',
  ];
  for (const [name, from] of pos) {
    for (const { to, label } of edges(definition.States[name] ?? {})) {
      const target = pos.get(to);
      if (!target) continue;
      const x1 = from.x + W / 2, y1 = from.y + H, x2 = target.x + W / 2, y2 = target.y;
      parts.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#9aa5b1" stroke-width="1.5" marker-end="url(#arrow)"/>`);
      if (label) parts.push(`<text x="${(x1 + x2) / 2 + 6}" y="${(y1 + y2) / 2}" font-size="11" fill="#616e7c">${escape(label)}</text>`);
    }
  }
  for (const [name, { x, y }] of pos) {
    const isCurrent = name === current;
    const fill = isCurrent ? '#2563eb' : visited.includes(name) ? '#d1fae5' : '#f4f5f7';
    const type = String(definition.States[name]?.Type ?? '');
    parts.push(
      `<g data-state="${escape(name)}"${isCurrent ? ' data-current="true"' : ''}><rect x="${x}" y="${y}" width="${W}" height="${H}" rx="6" fill="${fill}" stroke="${isCurrent ? '#1e40af' : '#9aa5b1'}"/>`,
      `<text x="${x + W / 2}" y="${y + 17}" text-anchor="middle" font-size="13" font-weight="bold" fill="${isCurrent ? '#fff' : '#1f2933'}">${escape(name)}</text>`,
      `<text x="${x + W / 2}" y="${y + 32}" text-anchor="middle" font-size="10" fill="${isCurrent ? '#dbeafe' : '#616e7c'}">${escape(type)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A long text (an exception's cause) cut for the page, whole words where it can. */
const shortened = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * One history event as the timeline shows it: its type, the state it belongs to, what went wrong
 * (error and cause) and when, as time since the start. Parameters and outputs are left out: they
 * hold task tokens and reviewers' addresses.
 */
export function timelineEntry(event: HistoryEvent, startDate: number, stateName?: string) {
  const details = (event.details ?? {}) as { name?: string; error?: string; cause?: string; resourceType?: string; resource?: string };
  const failed = /Failed|TimedOut|Aborted/.test(event.type);
  const problem = details.error || details.cause ? [details.error, details.cause && shortened(details.cause)].filter(Boolean).join(': ') : undefined;
  const task = event.type === 'TaskScheduled' && details.resourceType ? `${details.resourceType}:${details.resource ?? ''}` : undefined;
  const elapsed = Math.max(0, event.timestamp - startDate) / 1000;
  return {
    type: event.type,
    state: details.name ?? stateName,
    detail: problem ?? task,
    tone: failed ? 'bad' : event.type.endsWith('Succeeded') ? 'good' : '',
    iso: new Date(event.timestamp).toISOString(),
    at: elapsed < 60 ? `+${elapsed.toFixed(elapsed < 10 ? 2 : 1)} s` : `+${Math.floor(elapsed / 60)} min ${Math.round(elapsed % 60)} s`,
  };
}

/** The state each event belongs to: task events carry none, so the last state entered. */
function withStates(history: readonly HistoryEvent[], startDate: number) {
  let state: string | undefined;
  return history.map((event) => {
    const name = (event.details as { name?: string } | undefined)?.name;
    if (event.type.endsWith('StateEntered')) state = name;
    const entry = timelineEntry(event, startDate, event.type.startsWith('Execution') ? undefined : state);
    return entry;
  });
}

export function executionPage(record: ExecutionRecord, definition: AslDefinition, inboxUrl: string, now = new Date(), history: readonly HistoryEvent[] = []): string {
  const input = JSON.parse(record.input) as { title?: string };
  return page(`Execution ${record.name}`, EXECUTION, {
    name: record.name,
    path: encodeURIComponent(record.name),
    postTitle: input.title ? `Post “${input.title}”` : undefined,
    status: record.status,
    currentState: record.currentState,
    error: record.error,
    // A cause can be long (an exception's text): the page shows its start.
    cause: record.cause && shortened(record.cause),
    started: humanTime(new Date(record.startDate), now),
    svg: stateMachineSvg(definition, record.currentState, record.visited),
    events: withStates(history, record.startDate),
    inboxUrl,
    // No automatic refresh: a page that reloads itself on a timer moves focus and reading
    // position away from a screen-reader user (WCAG 2.2.1); the link reloads it on request.
    running: record.status === 'RUNNING',
  });
}
