import { expect } from 'chai';
import fc from 'fast-check';
import type { core } from 'zod/mini';
import { codePointLength, email, line, optionalText, problemsOf, text, thousands } from '../../../src/approval/domain/validation';

const FAMILY = '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}'; // 7 code points, 11 UTF-16 units
const GRIN = '\u{1F600}';

/** The problem lines of a schema for a value, or [] when it passes. */
function problems(schema: { safeParse(value: unknown): { success: boolean; error?: core.$ZodError } }, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : problemsOf(result.error!);
}

describe('validation', () => {
  describe('codePointLength', () => {
    it('counts code points, as [...text] does, without copying', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
          expect(codePointLength(value)).to.equal([...value].length);
        }),
      );
      expect(codePointLength(GRIN)).to.equal(1);
      expect(codePointLength(FAMILY)).to.equal(7);
      expect(codePointLength('\ud800')).to.equal(1);
      expect(codePointLength('\udc00\ud800')).to.equal(2);
    });

    it('counts a surrogate as half a code point only in a high-then-low pair, at the edges of both ranges', () => {
      // Lone halves next to ordinary text, two of a kind, and the code units just outside each range.
      for (const value of ['a\udc00', '\ud800a', '\udc00\udc00', '\ud800\ud800\udc00', '\ud800\ue000', '\ud7ff\udc00', '\udbff\udfff', '\ud800\udbff']) {
        expect(codePointLength(value), JSON.stringify(value)).to.equal([...value].length);
      }
    });
  });

  describe('line', () => {
    it('counts the limit in code points: 10 emoji fit in line(10), 11 do not', () => {
      expect(problems(line(10), GRIN.repeat(10))).to.deep.equal([]);
      expect(problems(line(10), GRIN.repeat(11))).to.deep.equal(['(input): must be at most 10 characters']);
    });

    it('refuses an unpaired surrogate, either half', () => {
      expect(problems(line(10), 'a\ud800b')[0]).to.match(/unpaired surrogate/);
      expect(problems(line(10), 'a\udfffb')[0]).to.match(/unpaired surrogate/);
    });

    it('refuses every control character (C0, DEL and C1), tab and line breaks included', () => {
      for (const control of ['\u0000', '\t', '\n', '\r', '\u001b', '\u007f', '\u0080', '\u0085', '\u009f']) {
        expect(problems(line(10), `a${control}b`), JSON.stringify(control)).to.deep.equal(['(input): must be one line without control characters']);
      }
    });

    it('accepts right-to-left text, combining marks, joiners and non-breaking spaces', () => {
      expect(problems(line(50), 'שלום עולם \u200F مرحبا e\u0301\u00A0x ' + FAMILY)).to.deep.equal([]);
    });

    it('stops at a failed length check: nothing after it reads the value', () => {
      expect(problems(line(10), `${'\u0001'.repeat(20)}\ud800`)).to.deep.equal(['(input): must be at most 10 characters']);
    });
  });

  describe('text', () => {
    it('keeps tab, LF and CR, refuses other control characters', () => {
      expect(problems(text(50), 'one\ttwo\r\nthree\nfour')).to.deep.equal([]);
      for (const control of ['\u0000', '\u000b', '\u000c', '\u001b', '\u007f', '\u0085']) {
        expect(problems(text(50), `a${control}b`), JSON.stringify(control)).to.have.length(1);
      }
    });

    it('refuses an unpaired surrogate', () => {
      expect(problems(text(50), 'x\udc00')[0]).to.match(/unpaired surrogate/);
      expect(problems(optionalText(50), 'x\udc00')[0]).to.match(/unpaired surrogate/);
    });
  });

  describe('email', () => {
    it('lower-cases a plain address and refuses anything else', () => {
      expect(email().parse('  Alice@Example.COM ')).to.equal('alice@example.com');
      expect(problems(email(), 'alice')).to.deep.equal(['(input): must be an email address (ASCII; an internationalised domain in its xn-- form)']);
    });

    it('refuses a 60,000-character value with the length problem only, in well under a second', () => {
      const start = process.hrtime.bigint();
      expect(problems(email(), 'a@' + '.'.repeat(59_997) + '<')).to.deep.equal(['(input): must be at most 254 characters']);
      expect(Number(process.hrtime.bigint() - start) / 1e6, 'milliseconds').to.be.below(100);
    });
  });
});

describe('thousands', () => {
  it('groups digits by three with commas, as the limits are written in messages', () => {
    expect([0, 7, 999, 1000, 2000, 50_000, 1_234_567].map(thousands)).to.deep.equal(['0', '7', '999', '1,000', '2,000', '50,000', '1,234,567']);
  });
});

describe('one-line fields', () => {
  it('refuse the Unicode line and paragraph separators, which mail clients and quoting treat as line breaks', () => {
    for (const sep of ['\u2028', '\u2029']) expect(line(200).safeParse(`Hi${sep}Approve: https://evil.example`).success, JSON.stringify(sep)).to.equal(false);
    expect(line(200).safeParse('Hi there').success).to.equal(true);
  });
});
