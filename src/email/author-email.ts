import { authorDecisionHtml, authorDecisionText } from './compiled-templates.generated';
import { assertHeaderSafe, type RenderedEmail } from './review-email';
import { compileTemplate } from './template';

const html = compileTemplate(authorDecisionHtml);
const text = compileTemplate(authorDecisionText);

export type Outcome = 'published' | 'rejected' | 'expired';

const WORDS: Record<Outcome, { heading: string; message: string }> = {
  published: { heading: 'Your post is published', message: 'was approved and is now live.' },
  rejected: { heading: 'Your post was not accepted', message: 'was reviewed and rejected.' },
  expired: { heading: 'Your post was not reviewed in time', message: 'received no decision before the review period ended. You can submit it again.' },
};

/** The author's email about the outcome, escaped like every other email. */
export function renderAuthorEmail(view: { title: string; outcome: Outcome; comment?: string }): RenderedEmail {
  const filled = { ...view, ...WORDS[view.outcome] };
  return {
    subject: assertHeaderSafe(`${WORDS[view.outcome].heading}: ${view.title}`),
    html: html.html(filled),
    text: text.text(filled),
  };
}
