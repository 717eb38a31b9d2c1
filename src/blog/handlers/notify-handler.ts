import type { Context } from 'aws-lambda';
import { enum as zEnum, maxLength, object, optional, string } from 'zod/mini';
import { ApprovalError } from '../../approval';
import type { Mailer } from '../../approval';
import { POST_FAILURE_REASONS, type PostFailureReason } from '../domain/post-failure';
import { MAX_TITLE_CHARS } from '../domain/post';
import { MAX_COMMENT_CHARS } from '../../approval';
import { email, line, maxChars, problemsOf } from '../../approval';
import { renderAuthorEmail } from '../email/author-email';
import { describeCause, type AppLogger } from '../../approval';
import { TaskError } from '../../approval';

const notice = object({
  postId: string().check(maxLength(64)),
  title: line(MAX_TITLE_CHARS),
  authorEmail: email(),
  outcome: zEnum(['published', 'rejected', 'expired', 'failed']),
  approval: optional(object({ comment: optional(string().check(maxChars(MAX_COMMENT_CHARS))) })),
  reason: optional(zEnum(Object.keys(POST_FAILURE_REASONS) as [PostFailureReason, ...PostFailureReason[]])),
});

/** Emails the author the outcome; invoked by the state machine after the post's status is written. */
export function createNotifyHandler(deps: { mailer: Mailer; logger: AppLogger }) {
  return async (event: unknown, context?: Context): Promise<{ notified: string }> => {
    if (context) deps.logger.addContext(context);
    const parsed = notice.safeParse(event);
    if (!parsed.success) {
      deps.logger.warn('notice refused', { problems: parsed.error.issues.map((i) => i.path.join('.')) });
      throw new TaskError('INVALID_INPUT', problemsOf(parsed.error));
    }
    const { postId, title, authorEmail, outcome, approval, reason } = parsed.data;
    try {
      await deps.mailer.send({ to: authorEmail, ...renderAuthorEmail({ title, outcome, comment: approval?.comment, reason }) });
    } catch (err) {
      // A refusal (EmailRejected) is not retried by the workflow; a transient failure is.
      const code = err instanceof ApprovalError && err.code === 'EMAIL_REJECTED' ? 'EMAIL_REJECTED' : 'EMAIL_DELIVERY_FAILED';
      deps.logger.warn('author email failed', { postId, code, cause: describeCause(err) });
      throw new TaskError(code);
    }
    deps.logger.info('author notified', { postId, outcome });
    return { notified: outcome };
  };
}
