import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_EMAIL_CHARS, isEmailAddress } from '../../../src/approval/domain/email-address';

/**
 * The backtracking expression isEmailAddress replaced. The parser agrees with it on printable
 * ASCII, except that it also wants every label of the domain non-empty.
 */
// eslint-disable-next-line regexp/no-super-linear-backtracking -- kept only as the reference the parser is compared with
const OLD_EMAIL = /^[^\s@<>(),;:"\\[\]]{1,64}@[^\s@<>(),;:"\\[\]]+\.[^\s@<>(),;:"\\[\]]+$/;

/** Characters that matter to an address, most of them often, so generated strings look like one. */
const addressChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'z', '0', '9', '.', '@', '-', '_', '+') },
  { weight: 2, arbitrary: fc.constantFrom(' ', '\t', '<', '>', '(', ')', ',', ';', ':', '"', '\\', '[', ']') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
);

const chars = (maxLength: number, char = addressChar) => fc.array(char, { maxLength }).map((list) => list.join(''));
const plain = fc.constantFrom('a', 'z', '0', '.', '-', '_');
/** Free strings, and strings shaped `local@domain`, with noise or without (many of those real addresses). */
const candidate = fc.oneof(
  chars(80),
  fc.tuple(chars(70), chars(30)).map(([local, domain]) => `${local}@${domain}`),
  fc.tuple(chars(70, plain), chars(30, plain)).map(([local, domain]) => `${local}@${domain}`),
);

describe('isEmailAddress', () => {
  it('accepts plain addresses', () => {
    for (const address of ['a@b.co', 'alice@example.com', 'first.last+tag@mail.example.org', `${'x'.repeat(64)}@example.com`, 'o\'hara@example.ie']) {
      expect(isEmailAddress(address), address).to.equal(true);
    }
  });

  it('refuses what is not a plain address', () => {
    const bad = ['', 'alice', '@example.com', 'alice@', 'alice@example', 'alice@.com', 'alice@example.', 'alice@example..com', 'a@...', 'a@b@example.com', 'a b@example.com', 'alice@exa mple.com',
      '<alice@example.com>', 'alice@example.com,bob@example.com', '"a"@example.com', `${'x'.repeat(65)}@example.com`, 'a\u0000@example.com', 'a\u0085@example.com'];
    for (const address of bad) expect(isEmailAddress(address), JSON.stringify(address)).to.equal(false);
  });

  it('refuses every special character outside quotes, in the local part and in the domain', () => {
    for (const special of ['<', '>', '(', ')', ',', ';', ':', '"', '\\', '[', ']']) {
      expect(isEmailAddress(`a${special}b@example.com`), `local ${special}`).to.equal(false);
      expect(isEmailAddress(`ab@exa${special}mple.com`), `domain ${special}`).to.equal(false);
    }
    expect(isEmailAddress('a!#$%&*+/=?^_`{|}~-b@example.com')).to.equal(true);
  });

  it('refuses non-ASCII addresses, which SES cannot send to (an internationalised domain goes in its xn-- form)', () => {
    expect(isEmailAddress('jörg@example.com')).to.equal(false);
    expect(isEmailAddress('jorg@exämple.com')).to.equal(false);
    expect(isEmailAddress('jorg@xn--exmple-cua.com')).to.equal(true);
    expect(isEmailAddress('a\ud800@example.com')).to.equal(false);
  });

  it('refuses anything over 254 characters', () => {
    const local = 'a'.repeat(64);
    const at254 = `${local}@${'b'.repeat(MAX_EMAIL_CHARS - local.length - 5)}.com`;
    expect(at254).to.have.length(254);
    expect(isEmailAddress(at254)).to.equal(true);
    expect(isEmailAddress(`${at254.slice(0, -4)}x.com`)).to.equal(false);
  });

  it('agrees with the regular expression it replaced on printable ASCII, but for empty domain labels', () => {
    fc.assert(
      fc.property(candidate, (text) => {
        const printable = /^[\x21-\x7e]*$/.test(text);
        // The old expression also let controls and non-ASCII through; the parser refuses them by design.
        const labelsNonEmpty = !text.slice(text.indexOf('@') + 1).split('.').includes('');
        if (printable) expect(isEmailAddress(text), JSON.stringify(text)).to.equal(OLD_EMAIL.test(text) && labelsNonEmpty);
        else expect(isEmailAddress(text)).to.equal(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers in linear time for the inputs that made the old expression backtrack for seconds', () => {
    const shapes = ['a@' + '.'.repeat(60_000) + '<', 'a@' + '.'.repeat(60_000) + ' ', 'a@' + 'a.'.repeat(30_000) + '@', 'a'.repeat(60_000), '@'.repeat(60_000)];
    for (const shape of shapes) {
      const start = process.hrtime.bigint();
      expect(isEmailAddress(shape)).to.equal(false);
      expect(isEmailAddress(shape.slice(0, 250))).to.equal(false);
      expect(Number(process.hrtime.bigint() - start) / 1e6, 'milliseconds').to.be.below(50);
    }
  });
});
