/** The ports of the blog example's services: its posts, Idempotency-Keys and workflow. */
import type { Post } from './post';
import type { PostFailureReason } from './post-failure';

/** Posts of the blog-moderation example. */
export interface PostStore {
  /** Creates the post unless one with the same id exists; returns the existing one then. */
  createIfAbsent(post: Post): Promise<Post | undefined>;
  get(id: string): Promise<Post | undefined>;
  /**
   * IN_REVIEW → FAILED with the reason; the failed post, or undefined if it was already final (or
   * absent). A post this already failed with the same reason whose author was not told yet is
   * returned again, so a retry tells the author. With `ifAbsent`, a post never stored is stored
   * FAILED from it.
   */
  failInReview(id: string, reason: PostFailureReason, ifAbsent?: Omit<Post, 'status'>): Promise<Post | undefined>;
  /** Records that the author was told why the post failed. */
  markAuthorTold(id: string, at: string): Promise<void>;
}

/** What an Idempotency-Key stands for: the post it created, a hash of the submission it came with, and when. */
export interface IdempotencyRecord {
  postId: string;
  /** `submissionHash` of the first submission: a retry must match it. */
  bodyHash: string;
  /** The post's createdAt, so a retry rebuilds exactly the same post and execution input. */
  createdAt: string;
  /** Seconds since the epoch from which the key is free again. */
  expiresAt: number;
}

/** Idempotency-Keys of `POST /posts`, by `idempotencyKeyHash` (author and key together). */
export interface IdempotencyKeys {
  /** The record of a key still in force at `nowSeconds`, or undefined. */
  find(keyHash: string, nowSeconds: number): Promise<IdempotencyRecord | undefined>;
  /**
   * Stores the record unless one is still in force (a concurrent request with the same key won):
   * undefined when stored, the one in force otherwise.
   */
  claim(keyHash: string, record: IdempotencyRecord, nowSeconds: number): Promise<IdempotencyRecord | undefined>;
}

/** Starts the moderation workflow; idempotent for the same name and input. */
export interface WorkflowStarter {
  start(name: string, input: object): Promise<void>;
}
