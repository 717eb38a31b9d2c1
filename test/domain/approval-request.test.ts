import { expect } from 'chai';
import { MAX_DETAILS_CHARS, MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS, parseApprovalTask } from '../../src/domain/approval-request';
import { ApprovalError } from '../../src/domain/errors';

const GRIN = '\u{1F600}';
const task = (request: Record<string, unknown>) => ({
  taskToken: 'TOKEN-1234567890',
  request: { subject: 'Publish', summary: 'A post.', reviewers: ['alice@example.com'], ...request },
});

/** The refusal's code and detail lines, or undefined when the task parses. */
function refusal(input: unknown): { code: string; details?: string[] } | undefined {
  try {
    parseApprovalTask(input);
    return undefined;
  } catch (err) {
    if (!(err instanceof ApprovalError)) throw err;
    return { code: err.code, details: err.details };
  }
}

describe('approval task contract', () => {
  it('counts the subject, summary and details limits in code points', () => {
    expect(refusal(task({ subject: GRIN.repeat(MAX_SUBJECT_CHARS), summary: GRIN.repeat(MAX_SUMMARY_CHARS), details: GRIN.repeat(MAX_DETAILS_CHARS) }))).to.equal(undefined);
    expect(refusal(task({ subject: GRIN.repeat(MAX_SUBJECT_CHARS + 1) }))).to.deep.equal({
      code: 'INVALID_APPROVAL_REQUEST',
      details: [`request.subject: must be at most ${MAX_SUBJECT_CHARS} characters`],
    });
    expect(refusal(task({ summary: 's'.repeat(MAX_SUMMARY_CHARS + 1) }))?.details).to.deep.equal(['request.summary: must be at most 2,000 characters']);
    expect(refusal(task({ details: 'd'.repeat(MAX_DETAILS_CHARS + 1) }))?.details).to.deep.equal(['request.details: must be at most 10,000 characters']);
  });

  it('refuses an unpaired surrogate in any text field as InvalidApprovalRequest naming the field', () => {
    for (const field of ['subject', 'summary', 'details', 'requestedBy']) {
      const result = refusal(task({ [field]: 'text \ud800 here' }));
      expect(result?.code, field).to.equal('INVALID_APPROVAL_REQUEST');
      expect(result?.details, field).to.deep.equal([`request.${field}: must be valid Unicode text (an unpaired surrogate was found)`]);
    }
    expect(refusal(task({ reviewers: ['al\udc00ice@example.com'] }))?.details).to.deep.equal([
      'request.reviewers.0: must be an email address (ASCII; an internationalised domain in its xn-- form)',
    ]);
  });

  it('refuses control characters: none in the subject, none but tab and line breaks in summary and details', () => {
    expect(refusal(task({ subject: 'a\u0085b' }))?.details).to.deep.equal(['request.subject: must be one line without control characters']);
    expect(refusal(task({ summary: 'a\tb\r\nc', details: 'line one\nline two' }))).to.equal(undefined);
    expect(refusal(task({ summary: 'a\u001bb' }))?.details).to.deep.equal(['request.summary: must not contain control characters other than tab and line breaks']);
    expect(refusal(task({ details: 'a\u0000b' }))?.details).to.deep.equal(['request.details: must not contain control characters other than tab and line breaks']);
  });
});
