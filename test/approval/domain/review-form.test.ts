import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { MAX_COMMENT_CHARS, MAX_COMMENT_FIELD_UNITS, MAX_ENCODED_COMMENT_CHARS, MAX_VOTE_COMMENTS_CHARS, checkComment, checkDecision, maxCommentChars, parseReviewForm } from '../../../src/approval/domain/review-form';

const GRIN = '\u{1F600}';

/** The ApprovalError `run` throws (fails the test if it throws nothing or something else). */
function refusal(run: () => unknown): ApprovalError {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(ApprovalError);
    return err as ApprovalError;
  }
  throw new Error('expected a refusal');
}

describe('review form', () => {
  describe('checkComment', () => {
    it('keeps several lines with <, >, &, quotes and a backslash verbatim', () => {
      const text = 'Looks good <b>not bold</b> & "quoted" \'too\' C:\\path\nsecond line\n\n\tindented third';
      expect(checkComment(text)).to.equal(text);
    });

    it('keeps line breaks as LF: CR LF (what browsers send for a textarea) and a lone CR both become LF', () => {
      expect(checkComment('one\r\ntwo\rthree\nfour')).to.equal('one\ntwo\nthree\nfour');
    });

    it('trims the ends and turns an empty or blank comment into none', () => {
      expect(checkComment('  \n fine \r\n ')).to.equal('fine');
      expect(checkComment('')).to.equal(undefined);
      expect(checkComment(' \r\n\t ')).to.equal(undefined);
      expect(checkComment(undefined)).to.equal(undefined);
    });

    it('takes 2,000 characters counted as code points: 2,000 emoji fit, 2,001 do not', () => {
      expect(MAX_COMMENT_CHARS).to.equal(2000);
      expect(checkComment(GRIN.repeat(2000))).to.equal(GRIN.repeat(2000));
      const err = refusal(() => checkComment(GRIN.repeat(2001)));
      expect(err.code).to.equal('INVALID_COMMENT');
      expect(err.details).to.deep.equal(['Your comment has 2,001 characters; at most 2,000 fit. Shorten it and confirm again.']);
    });

    it('counts a CR LF line break as one character', () => {
      const text = `${'a'.repeat(999)}\r\n${'b'.repeat(1000)}`;
      expect(checkComment(text)).to.have.length(2000);
    });

    it('takes a smaller limit when given one', () => {
      expect(checkComment('a'.repeat(10), 10)).to.equal('a'.repeat(10));
      expect(refusal(() => checkComment('a'.repeat(11), 10)).details![0]).to.include('at most 10 fit');
    });

    it('refuses an unpaired surrogate, either half, saying what to remove', () => {
      for (const broken of ['ok \ud800 there', 'ok \udfff there']) {
        const err = refusal(() => checkComment(broken));
        expect(err.code).to.equal('INVALID_COMMENT');
        expect(err.details![0]).to.include('unpaired surrogate');
      }
    });

    it('refuses control characters other than tab and line breaks (NUL, ESC, VT, FF, DEL, NEL)', () => {
      for (const control of ['\u0000', '\u001b', '\v', '\f', '\u007f', '\u0085', '\u009f']) {
        const err = refusal(() => checkComment(`fine${control}there`));
        expect(err.code, JSON.stringify(control)).to.equal('INVALID_COMMENT');
        expect(err.details![0]).to.include('control character');
      }
      expect(checkComment('tab\there')).to.equal('tab\there');
    });

    it('accepts printable Unicode beyond ASCII: accents, right-to-left text, a ZWJ family, U+2028', () => {
      const text = 'Très bien — שלום \u{1F469}\u200D\u{1F469}\u200D\u{1F467} line\u2028separator';
      expect(checkComment(text)).to.equal(text);
    });
  });

  describe('maxCommentChars', () => {
    it('is 2,000 up to a quorum of 25, then 50,000 shared by the quorum', () => {
      expect(maxCommentChars(1)).to.equal(2000);
      expect(maxCommentChars(25)).to.equal(2000);
      expect(maxCommentChars(26)).to.equal(1923);
      expect(maxCommentChars(50)).to.equal(1000);
      expect(maxCommentChars(0)).to.equal(2000);
    });

    it('keeps every quorum within the shared budget (k − 1 bounded approvals and one full deciding vote)', () => {
      for (let k = 1; k <= 50; k++) expect((k - 1) * maxCommentChars(k)).to.be.at.most(MAX_VOTE_COMMENTS_CHARS);
    });
  });

  describe('checkDecision', () => {
    it('takes approve and reject only', () => {
      expect(checkDecision('approve')).to.equal('approve');
      expect(checkDecision('reject')).to.equal('reject');
      for (const value of [undefined, '', 'APPROVE', 'approved', 'maybe']) expect(refusal(() => checkDecision(value)).code).to.equal('INVALID_DECISION');
    });
  });

  describe('parseReviewForm', () => {
    const link = 'r=AAAAAAAAAAAAAAAAAAAAAA&v=0&a=approve&x=1800000000&k=1&c=abc&m=AAAAAAAAAAAAAAAAAAAAAA';

    it('reads a form sent without a decision (no button pressed) as having none', () => {
      expect(parseReviewForm(`${link}&t=tok&comment=hi`)).to.deep.include({ csrf: 'tok', decision: undefined, comment: 'hi' });
    });

    it('reads the pressed button and a multi-line comment', () => {
      const form = parseReviewForm(`${link}&t=tok&decision=reject&comment=${encodeURIComponent('a <b>\r\n& "c"')}`);
      expect(form).to.deep.include({ decision: 'reject', comment: 'a <b>\r\n& "c"' });
    });

    it('leaves room in the form for whatever the comment field lets through (maxlength counts UTF-16 units)', () => {
      const encoded = (text: string) => new URLSearchParams({ comment: text }).toString().length - 'comment='.length;
      expect(encoded(GRIN.repeat(MAX_COMMENT_CHARS))).to.be.at.most(MAX_ENCODED_COMMENT_CHARS);
      expect(encoded('\u20ac'.repeat(MAX_COMMENT_FIELD_UNITS))).to.equal(MAX_ENCODED_COMMENT_CHARS);
      expect(encoded('\r\n'.repeat(MAX_COMMENT_FIELD_UNITS))).to.be.at.most(MAX_ENCODED_COMMENT_CHARS);
      expect(GRIN.repeat(MAX_COMMENT_CHARS).length).to.equal(MAX_COMMENT_FIELD_UNITS);
    });
  });
});
