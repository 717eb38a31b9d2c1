import { createHash, randomBytes } from 'node:crypto';
import { strictObject, type output } from 'zod/mini';
import { email, line, problemsOf, text } from './validation';

/** A blog post submitted for moderation. */
export type PostStatus = 'IN_REVIEW' | 'PUBLISHED' | 'REJECTED' | 'EXPIRED';

export interface PostDecision {
  decision: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: string;
  comment?: string;
}

export interface Post {
  id: string;
  title: string;
  body: string;
  authorEmail: string;
  status: PostStatus;
  createdAt: string;
  decision?: PostDecision;
}

export const MAX_POST_BYTES = 64 * 1024;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
export const POST_ID = /^p-[A-Za-z0-9_-]{22}$/;

const submission = strictObject({
  title: line(200),
  body: text(50_000),
  authorEmail: email(),
});

export type PostSubmission = output<typeof submission>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Validates `POST /posts` JSON; problems read `title: …` one per field. */
export function parsePostSubmission(input: unknown): Parsed<PostSubmission> {
  const result = submission.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: problemsOf(result.error) };
}

export function isIdempotencyKey(value: string): boolean {
  return IDEMPOTENCY_KEY.test(value);
}

/**
 * The post id, also the execution name: derived from the Idempotency-Key when there is one,
 * so a retried submission maps to the same post and the same (idempotent) StartExecution.
 */
export function postIdFor(idempotencyKey: string | undefined): string {
  const bytes = idempotencyKey ? createHash('sha256').update(`post:${idempotencyKey}`).digest() : randomBytes(16);
  return `p-${bytes.subarray(0, 16).toString('base64url')}`;
}

/** A plain-text excerpt for the reviewers' email summary. */
export function excerpt(body: string, max = 280): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}
