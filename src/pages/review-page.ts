import Mustache from 'mustache';
import { ERROR_TABLE, type ApprovalError } from '../domain/errors';
import { pageHeaders } from './page-headers';

export const STYLE = `body{font:16px/1.5 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;background:#f4f5f7;color:#1f2933;margin:0}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px}
h1{font-size:1.5rem;margin-top:0}.muted{color:#616e7c;font-size:.9rem}.details{white-space:pre-wrap}
fieldset{border:0;padding:0;margin:1rem 0}label{display:block;margin:.4rem 0}
input[type=text]{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button{font:inherit;font-weight:bold;padding:.6rem 1.4rem;border:0;border-radius:4px;background:#1f2933;color:#fff;cursor:pointer}
.code{font-family:ui-monospace,monospace;color:#7b8794;font-size:.8rem}`;

export const PAGE_HEADERS = pageHeaders(STYLE);

const LAYOUT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><title>{{title}}</title><style>{{{style}}}</style></head>
<body><main>{{> content}}</main></body></html>`;

const CONFIRM = `<p class="muted">Review requested{{#requestedBy}} by {{requestedBy}}{{/requestedBy}} · for {{reviewer}}{{#progress}} · {{approvals}} of {{required}} approvals so far{{/progress}}</p>
<h1>{{subject}}</h1>
<p class="details">{{summary}}</p>
{{#details}}<p class="details">{{details}}</p>{{/details}}
<form method="post" action="review">
{{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hidden}}
<fieldset><legend>Your decision</legend>
<label><input type="radio" name="decision" value="approve"{{#approve}} checked{{/approve}}> Approve</label>
<label><input type="radio" name="decision" value="reject"{{^approve}} checked{{/approve}}> Reject</label>
</fieldset>
<label for="comment">Comment (optional, one line)</label>
<input type="text" id="comment" name="comment" maxlength="1000" autocomplete="off">
<p><button type="submit">Confirm decision</button></p>
</form>
<p class="muted">This link expires {{expiresAt}}. Nothing is decided until you confirm.</p>`;

const RESULT = `<h1>{{heading}}</h1>
<p>{{subject}}</p>
{{#progress}}<p><strong>{{approvals}} of {{required}}</strong> approvals so far. The request is decided when {{required}} reviewers approve, or when one rejects it.</p>{{/progress}}
<p>Recorded for {{decidedBy}} at {{decidedAt}}.{{#comment}} Comment: “{{comment}}”{{/comment}}</p>
<p class="muted">You can close this page.</p>`;

const ERROR = `<h1>{{title}}</h1>
<p>{{message}}</p>
{{#decided}}<p>It was <strong>{{decision}}</strong> by {{decidedBy}} at {{decidedAt}}.</p>{{/decided}}
<p class="code">Code: {{code}}</p>`;

for (const t of [LAYOUT, CONFIRM, RESULT, ERROR]) Mustache.parse(t);

function page(title: string, content: string, view: object): string {
  return Mustache.render(LAYOUT, { ...view, title, style: STYLE }, { content });
}

export interface ConfirmView {
  subject: string;
  summary: string;
  details?: string;
  requestedBy?: string;
  reviewer: string;
  action: 'approve' | 'reject';
  expiresAt: string;
  /** Link fields and CSRF token carried by the form. */
  hidden: Record<string, string>;
  /** With a quorum: approvals so far and needed. */
  progress?: { approvals: number; required: number };
}

export function confirmationPage(view: ConfirmView): string {
  const hidden = Object.entries(view.hidden).map(([name, value]) => ({ name, value }));
  return page(`Review: ${view.subject}`, CONFIRM, { ...view, hidden, approve: view.action === 'approve' });
}

export interface ResultView {
  subject: string;
  decision: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: string;
  comment?: string;
  /** Set when the vote was recorded but the quorum is not reached yet. */
  progress?: { approvals: number; required: number };
}

export function resultPage(view: ResultView): string {
  const heading = view.progress ? 'Approval recorded' : view.decision === 'approved' ? 'Approved' : 'Rejected';
  return page(heading, RESULT, { ...view, heading });
}

/** The page for any ApprovalError: stable code and plain words, never exception text. */
export function errorPage(err: ApprovalError): string {
  const { title, message } = ERROR_TABLE[err.code];
  return page(title, ERROR, { title, message, code: err.code, decided: err.decided });
}
