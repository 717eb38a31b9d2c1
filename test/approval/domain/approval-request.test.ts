import { expect } from 'chai';
import { MAX_DETAILS_CHARS, MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS, parseApprovalTask } from '../../../src/approval/domain/approval-request';
import { ApprovalError } from '../../../src/approval/domain/errors';

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

describe('approval task: token and execution', () => {
  it('refuses a task token that is not printable ASCII from end to end (a space inside, or around it)', () => {
    for (const taskToken of ['TOKEN 123', ' TOKEN', 'TOKEN ', 'TOKEN\u00e9']) {
      expect(refusal({ ...task({}), taskToken }), JSON.stringify(taskToken)).to.deep.equal({ code: 'INVALID_APPROVAL_REQUEST', details: ['taskToken: must be printable ASCII'] });
    }
  });

  it('takes an execution ARN only: "arn:" first and printable ASCII to the end', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:moderation:e-1';
    expect(parseApprovalTask({ ...task({}), executionId: arn }).executionId).to.equal(arn);
    for (const executionId of [`x${arn}`, `${arn} x`, 'e-1']) {
      expect(refusal({ ...task({}), executionId }), executionId).to.deep.equal({ code: 'INVALID_APPROVAL_REQUEST', details: ['executionId: must be an execution ARN'] });
    }
  });
});

describe('approval task: reviewers', () => {
  it('leaves out of escalateTo the requester, the reviewers already asked and repeats, keeping the order given', () => {
    const parsed = parseApprovalTask(
      task({
        requestedBy: 'author@example.com',
        reviewers: ['alice@example.com', 'bob@example.com'],
        escalateTo: ['Author@Example.com', 'dana@example.com', 'BOB@example.com', 'erin@example.com', 'dana@example.com'],
      }),
    );
    expect(parsed.request.escalateTo).to.deep.equal(['dana@example.com', 'erin@example.com']);
  });

  it('removes the requester and repeats from the reviewers, ignoring case', () => {
    const parsed = parseApprovalTask(task({ requestedBy: 'Author@Example.com', reviewers: ['author@example.com', 'Alice@example.com', 'alice@EXAMPLE.com', 'bob@example.com'] }));
    expect(parsed.request.reviewers).to.deep.equal(['alice@example.com', 'bob@example.com']);
    expect(parsed.request.requestedBy).to.equal('Author@Example.com');
  });

  it('refuses a request whose only reviewer is its requester (NoReviewers), and more approvals than reviewers', () => {
    expect(refusal(task({ requestedBy: 'alice@example.com' }))).to.deep.equal({
      code: 'NO_REVIEWERS',
      details: ['request.reviewers: no reviewer left once the requester is removed'],
    });
    expect(refusal(task({ reviewers: ['alice@example.com', 'bob@example.com'], requiredApprovals: 3 }))).to.deep.equal({
      code: 'INVALID_APPROVAL_REQUEST',
      details: ['request.requiredApprovals: 3 approvals cannot come from 2 reviewer(s)'],
    });
    expect(refusal(task({ reviewers: ['alice@example.com', 'bob@example.com'], requiredApprovals: 2 }))).to.equal(undefined);
  });

  it('fills in the defaults: one approval, seven days, no escalation, blank details dropped', () => {
    const { request, executionId, idempotencyKey, taskToken } = parseApprovalTask(task({ details: '  \n ' }));
    expect(taskToken).to.equal('TOKEN-1234567890');
    expect(executionId).to.equal(undefined);
    expect(idempotencyKey).to.equal(undefined);
    expect(request).to.deep.equal({
      subject: 'Publish',
      summary: 'A post.',
      details: undefined,
      reviewers: ['alice@example.com'],
      ttlSeconds: 7 * 24 * 3600,
      requestedBy: undefined,
      requiredApprovals: 1,
      escalateTo: [],
      escalateAfterSeconds: undefined,
      remindBeforeSeconds: undefined,
    });
  });
});
