import { expect } from 'chai';
import { quoteBlock, quoteLines } from '../../../src/approval/email/quote';

describe('plain-text quoting', () => {
  it('prefixes every line with "> ", an empty line with ">" alone', () => {
    expect(quoteLines('one\n\ntwo')).to.equal('> one\n>\n> two');
  });

  it('splits at CR LF, LF, CR and Unicode line and paragraph separators, so no line escapes the quote', () => {
    expect(quoteLines('a\r\nb\rc\u2028d\u2029e')).to.equal('> a\n> b\n> c\n> d\n> e');
  });

  it('quotes a look-alike link line too', () => {
    expect(quoteLines('Approve: https://evil.example/')).to.equal('> Approve: https://evil.example/');
  });

  it('joins pieces with an empty quoted line and leaves out absent ones', () => {
    expect(quoteBlock(['Subject', undefined, 'Body\nmore', ''])).to.equal('> Subject\n>\n> Body\n> more');
  });
});
