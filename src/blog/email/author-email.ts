import { authorDecisionHtml, authorDecisionText } from './compiled-templates.generated';
import { assertHeaderSafe, type RenderedEmail } from '../../approval';
import { quoteLines } from '../../approval';
import { compileTemplate } from '../../approval';
import { POST_FAILURE_REASONS, type PostFailureReason } from '../domain/post-failure';

const html = compileTemplate(authorDecisionHtml);
const text = compileTemplate(authorDecisionText);

export type Outcome = 'published' | 'rejected' | 'expired' | 'failed';

const WORDS: Record<Exclude<Outcome, 'failed'>, { heading: string; message: string }> = {
  published: { heading: 'Your post is published', message: 'was approved and is now live.' },
  rejected: { heading: 'Your post was not accepted', message: 'was reviewed and rejected.' },
  expired: { heading: 'Your post was not reviewed in time', message: 'received no decision before the review period ended. You can submit it again.' },
};

const FAILED_HEADING = 'Your post could not be reviewed';

/**
 * The author's email about the outcome (for `failed`, why and what they can do), escaped like
 * every other email. The reviewer's comment is free text: kept as written in both parts, its
 * lines as lines, and quoted (`> `) in the plain-text part.
 */
export function renderAuthorEmail(view: { title: string; outcome: Outcome; comment?: string; reason?: PostFailureReason }): RenderedEmail {
  const words =
    view.outcome === 'failed'
      ? { heading: FAILED_HEADING, message: `could not be reviewed. ${POST_FAILURE_REASONS[view.reason ?? 'INTERNAL'].summary} ${POST_FAILURE_REASONS[view.reason ?? 'INTERNAL'].advice}` }
      : WORDS[view.outcome];
  const filled = { ...view, ...words, quotedComment: view.comment ? quoteLines(view.comment) : undefined };
  return {
    subject: assertHeaderSafe(`${words.heading}: ${view.title}`),
    html: html.html(filled),
    text: text.text(filled),
  };
}
