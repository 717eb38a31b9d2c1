import Mustache from 'mustache';
import type { ApprovalError } from '../domain/errors';
import { humanIsoTime } from '../domain/human-time';
import { MAX_COMMENT_FIELD_UNITS } from '../domain/review-form';
import { thousands } from '../domain/validation';
import { errorWords } from '../http/error-answers';
import { pageHeaders } from './page-headers';

export const STYLE = `body{font:16px/1.5 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;background:#f4f5f7;color:#1f2933;margin:0}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px}
h1{font-size:1.5rem;margin-top:0}.muted{color:#52606d;font-size:.9rem}.details{white-space:pre-wrap}
fieldset{border:0;padding:0;margin:1rem 0}label{display:block;margin:.4rem 0}
input[type=text],textarea{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button{font:inherit;font-weight:bold;padding:.6rem 1.4rem;border:0;border-radius:4px;background:#1f2933;color:#fff;cursor:pointer}
button.approve{background:#1f7a3f}button.reject{background:#b42318}.decide button{margin-right:.6rem}
blockquote{margin:.4rem 0;padding:0 0 0 .8rem;border-left:3px solid #cbd2d9}
.problem{background:#fde8e8;color:#7a1c12;padding:.6rem;border-radius:4px}
.code{font-family:ui-monospace,monospace;color:#52606d;font-size:.8rem}`;

export const PAGE_HEADERS = pageHeaders(STYLE);

const LAYOUT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><title>{{title}}</title><style>{{{style}}}</style></head>
<body><main>{{> content}}</main></body></html>`;

// No decision is preselected: a scanner that fetches the page and submits the form as it stands
// sends no `decision` and decides nothing. Only a pressed button sends one.
const CONFIRM = `<p class="muted">Review requested{{#requestedBy}} by {{requestedBy}}{{/requestedBy}} · for {{reviewer}}{{#progress}} · {{approvals}} of {{required}} approvals so far{{/progress}}</p>
<h1>{{subject}}</h1>
<p class="details">{{summary}}</p>
{{#details}}<p class="details">{{details}}</p>{{/details}}
<form method="post" action="review">
{{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hidden}}
{{#problem}}<p class="problem" id="problem" role="alert"><strong>Nothing was decided yet.</strong> {{problem}}</p>{{/problem}}
<label for="comment">Comment (optional)</label>
<p class="muted" id="comment-hint">Up to {{limit}} characters; several lines are fine.</p>
<textarea id="comment" name="comment" rows="6" maxlength="{{maxlength}}" autocomplete="off" aria-describedby="comment-hint{{#problem}} problem{{/problem}}">{{comment}}</textarea>
<p class="decide"><button type="submit" name="decision" value="approve" class="approve">Approve</button><button type="submit" name="decision" value="reject" class="reject">Reject</button></p>
</form>
<p class="muted">This link expires {{expiresAt}}. Nothing is decided until you press Approve or Reject.</p>`;

const RESULT = `<h1>{{heading}}</h1>
<p>{{subject}}</p>
{{#progress}}<p><strong>{{approvals}} of {{required}}</strong> approvals so far. The request is decided when {{required}} reviewers approve, or when one rejects it.</p>{{/progress}}
<p>Recorded for {{decidedBy}} at {{decidedAt}}.</p>
{{#comment}}<p>Comment:</p><blockquote class="details">{{comment}}</blockquote>{{/comment}}
<p class="muted">You can close this page.</p>`;

// After a POST, what the person typed is shown back: an error page must not be where it is lost.
const ERROR = `<h1>{{title}}</h1>
<p>{{message}}</p>
{{#decided}}<p>It was <strong>{{decision}}</strong> by {{decidedBy}} at {{decidedAt}}.</p>{{/decided}}
{{#typed}}<h2>Your comment was not recorded</h2><p class="muted">Here it is, to copy if you still need it:</p><blockquote class="details">{{typed}}</blockquote>{{/typed}}
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
  /** When the link expires, for people (see `humanTime`). */
  expiresAt: string;
  /** Link fields and CSRF token carried by the form. */
  hidden: Record<string, string>;
  /** With a quorum: approvals so far and needed. */
  progress?: { approvals: number; required: number };
  /** The longest comment this request takes (see `maxCommentChars`). */
  commentLimit: number;
  /** When the form is shown again: the comment as it was typed. */
  comment?: string;
  /** When the form is shown again: why nothing was decided, in plain words. */
  problem?: string;
}

/** The confirmation form: the request, a comment box, and two buttons, neither chosen in advance. */
export function confirmationPage(view: ConfirmView): string {
  const hidden = Object.entries(view.hidden).map(([name, value]) => ({ name, value }));
  return page(`Review: ${view.subject}`, CONFIRM, {
    ...view,
    hidden,
    limit: thousands(view.commentLimit),
    maxlength: MAX_COMMENT_FIELD_UNITS,
    comment: textareaContent(view.comment ?? ''),
    problem: view.problem ?? '',
  });
}

/** The HTML parser drops one line break right after `<textarea>`: a text starting with one gets another. */
function textareaContent(text: string): string {
  return text.startsWith('\n') || text.startsWith('\r') ? `\n${text}` : text;
}

export interface ResultView {
  subject: string;
  decision: 'approved' | 'rejected';
  decidedBy: string;
  /** ISO time: the page shows it for people. */
  decidedAt: string;
  comment?: string;
  /** Set when the vote was recorded but the quorum is not reached yet. */
  progress?: { approvals: number; required: number };
}

export function resultPage(view: ResultView, now: Date): string {
  const heading = view.progress ? 'Approval recorded' : view.decision === 'approved' ? 'Approved' : 'Rejected';
  return page(heading, RESULT, { ...view, heading, decidedAt: humanIsoTime(view.decidedAt, now), comment: view.comment ?? '' });
}

/**
 * The page for any ApprovalError: stable code and plain words, never exception text. `now` turns
 * "decided at" into a time for people; `typed` is a comment the person sent that was not recorded.
 */
export function errorPage(err: ApprovalError, context: { now?: Date; typed?: string } = {}): string {
  const { title, message } = errorWords(err.code);
  const decided = err.decided && { ...err.decided, decidedAt: context.now ? humanIsoTime(err.decided.decidedAt, context.now) : err.decided.decidedAt };
  return page(title, ERROR, { title, message, code: err.code, decided, typed: context.typed ?? '' });
}
