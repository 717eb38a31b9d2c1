import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { Mailer } from '../domain/ports';
import { renderAuthorEmail } from '../email/author-email';
import { describeCause, type AppLogger } from '../logger';
import { TaskError } from './request-handler';

const notice = z.object({
  postId: z.string().max(64),
  title: z.string().min(1).max(200).regex(/^[^\r\n\0]*$/),
  authorEmail: z.string().email().max(254),
  outcome: z.enum(['published', 'rejected', 'expired']),
  approval: z.object({ comment: z.string().max(1000).optional() }).optional(),
});

/** Emails the author the outcome; invoked by the state machine after the post's status is written. */
export function createNotifyHandler(deps: { mailer: Mailer; logger: AppLogger }) {
  return async (event: unknown, context?: Context): Promise<{ notified: string }> => {
    if (context) deps.logger.addContext(context);
    const parsed = notice.safeParse(event);
    if (!parsed.success) {
      deps.logger.warn('notice refused', { problems: parsed.error.issues.map((i) => i.path.join('.')) });
      throw new TaskError('INVALID_INPUT', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    }
    const { postId, title, authorEmail, outcome, approval } = parsed.data;
    try {
      await deps.mailer.send({ to: authorEmail, ...renderAuthorEmail({ title, outcome, comment: approval?.comment }) });
    } catch (err) {
      deps.logger.warn('author email failed', { postId, cause: describeCause(err) });
      throw new TaskError('EMAIL_DELIVERY_FAILED');
    }
    deps.logger.info('author notified', { postId, outcome });
    return { notified: outcome };
  };
}
