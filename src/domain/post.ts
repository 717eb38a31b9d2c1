import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

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
const EMAIL = /^[^\s@<>(),;:"\\[\]]{1,64}@[^\s@<>(),;:"\\[\]]+\.[^\s@<>(),;:"\\[\]]+$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
export const POST_ID = /^p-[A-Za-z0-9_-]{22}$/;

const submission = z.strictObject({
  title: z.string().trim().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]*$/, 'must be one line without control characters'),
  body: z.string().trim().min(1).max(50_000),
  authorEmail: z.string().trim().max(254).regex(EMAIL, 'must be an email address'),
});

export type PostSubmission = z.infer<typeof submission>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Validates `POST /posts` JSON; problems read `title: …` one per field. */
export function parsePostSubmission(input: unknown): Parsed<PostSubmission> {
  const result = submission.safeParse(input);
  if (result.success) return { ok: true, value: { ...result.data, authorEmail: result.data.authorEmail.toLowerCase() } };
  return { ok: false, problems: result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) };
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
