import { createHash, randomBytes } from 'node:crypto';
import { lengthPrefixed } from '../../approval';
import { strictObject, type output } from 'zod/mini';
import type { PostFailureReason } from './post-failure';
import { MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS } from '../../approval';
import { codePointLength, email, line, problemsOf, text } from '../../approval';

/** A blog post submitted for moderation; every status but IN_REVIEW is final. */
export type PostStatus = 'IN_REVIEW' | 'PUBLISHED' | 'REJECTED' | 'EXPIRED' | 'FAILED';

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
  /** Why the post is FAILED. */
  failureReason?: PostFailureReason;
}

export const MAX_POST_BYTES = 64 * 1024;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
export const POST_ID = /^p-[A-Za-z0-9_-]{22}$/;

/**
 * The approval subject the moderation workflow builds: `States.Format('New post: {}', $.title)`.
 * The workflow takes its prefix from here, so the title limit below always matches it.
 */
export const POST_SUBJECT_PREFIX = 'New post: ';
/** Whatever `POST /posts` accepts fits the approval contract: prefix + title ≤ its subject limit. */
export const MAX_TITLE_CHARS = MAX_SUBJECT_CHARS - codePointLength(POST_SUBJECT_PREFIX);
export const MAX_BODY_CHARS = 50_000;
/** The reviewers' summary is an excerpt of the body, well within the contract's summary limit. */
export const EXCERPT_CHARS = Math.min(280, MAX_SUMMARY_CHARS);

const submission = strictObject({
  title: line(MAX_TITLE_CHARS),
  body: text(MAX_BODY_CHARS),
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

/** The post id, also the execution name: random, so knowing an Idempotency-Key tells nothing about it. */
export function newPostId(): string {
  return `p-${randomBytes(16).toString('base64url')}`;
}

/** How long an Idempotency-Key stands for its post: retries come within minutes, a day is ample. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

const sha256 = (fields: readonly string[]) => createHash('sha256').update(lengthPrefixed(fields)).digest('base64url');

/**
 * Where an Idempotency-Key is kept: a hash of the key and the author's address together, so the
 * same key from two authors names two different posts, and the stored item names neither.
 */
export function idempotencyKeyHash(authorEmail: string, idempotencyKey: string): string {
  return sha256(['post-idempotency-key', authorEmail, idempotencyKey]);
}

/** A hash of what was submitted (the validated fields), to tell a retry from a different post sent with the same key. */
export function submissionHash(submission: PostSubmission): string {
  return sha256(['post-submission', submission.title, submission.body, submission.authorEmail]);
}

// Built on the first cut, not at load: constructing a Segmenter costs ~9 ms (ICU data), which
// every cold start of a Lambda that imports this module (posts, notify) would otherwise pay.
let graphemes: Intl.Segmenter | undefined;

/**
 * A plain-text excerpt for the reviewers' email summary: whitespace runs become one space, and a
 * longer text is cut to at most `max` code points, ellipsis included, between grapheme clusters
 * (never inside a surrogate pair, a ZWJ emoji sequence, a flag or a letter with its accents).
 */
export function excerpt(body: string, max = EXCERPT_CHARS): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  if (codePointLength(flat) <= max) return flat;
  let end = 0;
  let used = 0;
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment, index } of graphemes.segment(flat)) {
    used += codePointLength(segment);
    if (used > max - 1) break;
    end = index + segment.length;
  }
  return `${flat.slice(0, end).trimEnd()}…`;
}
