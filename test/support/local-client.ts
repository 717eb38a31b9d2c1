/** A small HTTP client for driving local mode the way a person would, for e2e tests. */
import { rememberSecret } from './log-guard';

export interface InboxEmail {
  messageId: string;
  subject: string;
  destination: { to: string[] };
  body: { text?: string; html?: string };
  at: number;
}

/** Polls `check` until it returns a value, at most `timeoutMs` (bounded; no fixed sleeps). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function inbox(inboxUrl: string): Promise<InboxEmail[]> {
  const res = await fetch(`${inboxUrl}/store`);
  return ((await res.json()) as { emails: InboxEmail[] }).emails;
}

export function emailsWithSubject(emails: InboxEmail[], subject: string): InboxEmail[] {
  return emails.filter((e) => e.subject === subject);
}

/** The approve and reject links of a review email (from its text part). */
export function linksOf(email: InboxEmail): { approve: string; reject: string } {
  const text = email.body.text ?? '';
  const approve = /^Approve: (\S+)$/m.exec(text)?.[1];
  const reject = /^Reject: (\S+)$/m.exec(text)?.[1];
  if (!approve || !reject) throw new Error('review email without links');
  for (const url of [approve, reject]) rememberSecret(new URL(url).searchParams.get('m') ?? undefined);
  return { approve, reject };
}

export async function submitPost(apiUrl: string, post: { title: string; body: string; authorEmail: string }, idempotencyKey?: string) {
  const res = await fetch(`${apiUrl}/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify(post),
  });
  return { status: res.status, body: (await res.json()) as { id: string; status: string } };
}

export async function getPost(apiUrl: string, id: string) {
  const res = await fetch(`${apiUrl}/posts/${id}`);
  return (await res.json()) as { id: string; status: string; decision?: { decision: string; decidedBy?: string; comment?: string }; reason?: string; message?: string };
}

const unescapeHtml = (s: string) => s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/&amp;/g, '&');

/** GETs a review link, then posts its confirmation form as the browser would. */
export async function confirm(url: string, decision?: 'approve' | 'reject', comment?: string): Promise<{ page: number; status: number; html: string }> {
  const page = await fetch(url);
  const html = await page.text();
  if (page.status !== 200) return { page: page.status, status: page.status, html };
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = unescapeHtml(m[2]!);
  rememberSecret(fields.t);
  const origin = new URL(url).origin;
  const form = new URLSearchParams({ ...fields, decision: decision ?? (new URL(url).searchParams.get('a') as string), ...(comment ? { comment } : {}) });
  const res = await fetch(`${origin}/review`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin }, body: form });
  return { page: page.status, status: res.status, html: await res.text() };
}
