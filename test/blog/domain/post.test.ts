import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS } from '../../../src/approval/domain/approval-request';
import {
  EXCERPT_CHARS,
  MAX_TITLE_CHARS,
  POST_ID,
  POST_SUBJECT_PREFIX,
  excerpt,
  idempotencyKeyHash,
  isIdempotencyKey,
  newPostId,
  parsePostSubmission,
  submissionHash,
} from '../../../src/blog/domain/post';
import { codePointLength } from '../../../src/approval/domain/validation';

const FAMILY = '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}'; // one grapheme of 7 code points
const FLAG = '\u{1F1EB}\u{1F1F7}'; // one grapheme of 2 regional indicators
const ACCENTED = 'e\u0301\u0323'; // e + acute + dot below: one grapheme of 3 code points
const GRIN = '\u{1F600}';
const graphemes = (text: string) => [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
const post = { title: 'Hello world', body: 'My first post.', authorEmail: 'author@example.com' };

describe('post', () => {
  describe('limits', () => {
    it('derives the title limit from the approval subject limit and the workflow prefix', () => {
      expect(POST_SUBJECT_PREFIX).to.equal('New post: ');
      expect(MAX_TITLE_CHARS).to.equal(MAX_SUBJECT_CHARS - [...POST_SUBJECT_PREFIX].length);
      expect(EXCERPT_CHARS).to.be.at.most(MAX_SUMMARY_CHARS);
    });

    it('accepts a title at the limit counted in code points, astral characters included', () => {
      const title = GRIN.repeat(MAX_TITLE_CHARS);
      expect(title.length).to.equal(2 * MAX_TITLE_CHARS);
      expect(parsePostSubmission({ ...post, title })).to.deep.include({ ok: true });
    });

    it('refuses titles of 191 to 200 characters, naming the title, since the subject would exceed 200', () => {
      for (let length = MAX_TITLE_CHARS + 1; length <= MAX_SUBJECT_CHARS; length++) {
        const result = parsePostSubmission({ ...post, title: 't'.repeat(length) });
        expect(result, `length ${length}`).to.deep.equal({ ok: false, problems: [`title: must be at most ${MAX_TITLE_CHARS} characters`] });
      }
    });

    it('refuses an unpaired surrogate in any field, naming the field', () => {
      for (const field of ['title', 'body', 'authorEmail'] as const) {
        const result = parsePostSubmission({ ...post, [field]: `${post[field].slice(0, 1)}\ud800${post[field].slice(1)}` });
        expect(result.ok, field).to.equal(false);
        expect(!result.ok && result.problems.every((p) => p.startsWith(`${field}: `)), field).to.equal(true);
      }
    });

    it('refuses control characters: any in the title, all but tab and line breaks in the body', () => {
      expect(parsePostSubmission({ ...post, title: 'a\tb' })).to.deep.include({ ok: false });
      expect(parsePostSubmission({ ...post, title: 'a\u0085b' })).to.deep.include({ ok: false });
      expect(parsePostSubmission({ ...post, body: 'one\ttwo\r\nthree' })).to.deep.include({ ok: true });
      expect(parsePostSubmission({ ...post, body: 'one\u0007two' })).to.deep.equal({ ok: false, problems: ['body: must not contain control characters other than tab and line breaks'] });
    });
  });

  describe('excerpt', () => {
    it('keeps a short body whole, with whitespace runs as one space', () => {
      expect(excerpt('  Hello\n\n\tworld  ')).to.equal('Hello world');
    });

    it('cuts a long body to at most 280 code points, ellipsis included', () => {
      const cut = excerpt('word '.repeat(200));
      expect(codePointLength(cut)).to.be.at.most(EXCERPT_CHARS);
      expect(cut.endsWith('word…')).to.equal(true);
    });

    for (const [name, cluster] of [
      ['an emoji (a surrogate pair)', GRIN],
      ['a ZWJ family emoji', FAMILY],
      ['a flag', FLAG],
      ['a letter with combining accents', ACCENTED],
    ] as const) {
      it(`never splits ${name} at the cut, wherever it falls`, () => {
        for (let before = EXCERPT_CHARS - 10; before <= EXCERPT_CHARS + 2; before++) {
          const body = 'x'.repeat(before) + cluster.repeat(20);
          const cut = excerpt(body);
          expect(cut.endsWith('…'), 'the body was cut').to.equal(true);
          expect(cut.isWellFormed()).to.equal(true);
          expect(codePointLength(cut)).to.be.at.most(EXCERPT_CHARS);
          const kept = cut.slice(0, -1);
          expect(graphemes(body).slice(0, graphemes(kept).length).join(''), `x × ${before}`).to.equal(kept);
        }
      });
    }

    it('is, for any text, a whole-grapheme prefix of it within the limit', () => {
      const piece = fc.constantFrom('a', ' ', '\n', 'é', 'e\u0301', GRIN, FAMILY, FLAG, 'שלום', '\u0627\u0644', '\u00A0', '\u3000', '  ');
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 400 }), fc.integer({ min: 2, max: 300 }), (pieces, max) => {
          const body = pieces.join('');
          const flat = body.replace(/\s+/g, ' ').trim();
          const cut = excerpt(body, max);
          expect(codePointLength(cut)).to.be.at.most(max);
          expect(cut.isWellFormed()).to.equal(true);
          if (cut === flat) return;
          expect(cut.endsWith('…')).to.equal(true);
          const kept = cut.slice(0, -1);
          const whole = graphemes(flat);
          const keptCount = graphemes(kept).length;
          expect(whole.slice(0, keptCount).join('')).to.equal(kept);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('post ids', () => {
    it('are p- and 22 base64url characters, random every time (an Idempotency-Key tells nothing about them)', () => {
      const ids = new Set(Array.from({ length: 100 }, () => newPostId()));
      for (const id of ids) expect(id).to.match(POST_ID);
      expect(ids.size).to.equal(100);
    });
  });

  describe('Idempotency-Key and submission hashes', () => {
    it('scope a key to its author: the same key from two authors is two keys, the same author and key one', () => {
      expect(idempotencyKeyHash('a@example.com', 'key-1')).to.equal(idempotencyKeyHash('a@example.com', 'key-1'));
      expect(idempotencyKeyHash('a@example.com', 'key-1')).to.not.equal(idempotencyKeyHash('b@example.com', 'key-1'));
      expect(idempotencyKeyHash('a@example.com', 'key-1')).to.not.equal(idempotencyKeyHash('a@example.com', 'key-2'));
      // Length-prefixed: moving characters between the address and the key is another key.
      expect(idempotencyKeyHash('a@example.co', 'mkey')).to.not.equal(idempotencyKeyHash('a@example.com', 'key'));
      expect(idempotencyKeyHash('a@example.com', 'key-1')).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(idempotencyKeyHash('a@example.com', 'key-1')).to.not.include('example');
    });

    it('tell any change to the title, the body or the author apart', () => {
      const base = submissionHash(post);
      expect(submissionHash({ ...post })).to.equal(base);
      for (const changed of [{ title: 'Hello world!' }, { body: 'My first post' }, { authorEmail: 'other@example.com' }, { title: 'Hello', body: `world${post.body}` }]) {
        expect(submissionHash({ ...post, ...changed }), JSON.stringify(changed)).to.not.equal(base);
      }
    });
  });

  describe('Idempotency-Key', () => {
    it('is 1 to 128 characters of A-Z a-z 0-9 _ . : -', () => {
      for (const key of ['a', 'Z', '0', '9', '_', '.', ':', '-', 'k'.repeat(128), 'arn:aws:states:eu-west-1:1:execution:m:e#x'.replace('#', '.')]) {
        expect(isIdempotencyKey(key), key).to.equal(true);
      }
    });

    it('refuses empty, longer than 128, and any other character anywhere', () => {
      for (const key of ['', 'k'.repeat(129), 'a b', 'a/b', '#a', 'a#', 'é', 'a\n']) {
        expect(isIdempotencyKey(key), key).to.equal(false);
      }
    });
  });

  describe('post id shape', () => {
    it('is p- and exactly 22 base64url characters, nothing before or after', () => {
      expect(POST_ID.test(`p-${'A'.repeat(22)}`)).to.equal(true);
      expect(POST_ID.test(`p-${'z_-9'.repeat(5)}az`)).to.equal(true);
      for (const id of [`p-${'A'.repeat(21)}`, `p-${'A'.repeat(23)}`, `q-${'A'.repeat(22)}`, `xp-${'A'.repeat(22)}`, `p-${'A'.repeat(21)}+`, 'A'.repeat(24)]) {
        expect(POST_ID.test(id), id).to.equal(false);
      }
    });
  });

  describe('excerpt length', () => {
    it('is 280 characters for the reviewers', () => {
      expect(EXCERPT_CHARS).to.equal(280);
    });

    it('keeps a body of exactly the limit whole, and cuts one character more to the limit, ellipsis included', () => {
      expect(excerpt('a'.repeat(280))).to.equal('a'.repeat(280));
      expect(excerpt('a'.repeat(281))).to.equal(`${'a'.repeat(279)}…`);
      expect(excerpt(GRIN.repeat(281), 10)).to.equal(`${GRIN.repeat(9)}…`);
    });

    it('drops the space before the ellipsis', () => {
      expect(excerpt('abcd efgh', 6)).to.equal('abcd…');
    });
  });
});
