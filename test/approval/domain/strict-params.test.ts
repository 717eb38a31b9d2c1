import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { parseStrictParams } from '../../../src/approval/domain/strict-params';

const spec = { required: ['a'], optional: ['comment'] };

function codeOf(raw: string): string | undefined {
  try {
    parseStrictParams(raw, spec);
    return undefined;
  } catch (err) {
    return err instanceof ApprovalError ? err.code : 'NOT_APPROVAL_ERROR';
  }
}

describe('parseStrictParams', () => {
  it('decodes well-formed escapes and + as a space', () => {
    expect({ ...parseStrictParams('a=x&comment=50%25+off%2C%20%F0%9F%98%80', spec) }).to.deep.equal({ a: 'x', comment: '50% off, \u{1F600}' });
  });

  it('refuses malformed percent-escapes as LINK_MALFORMED, which URLSearchParams would keep as text', () => {
    expect(new URLSearchParams('comment=%ZZ').get('comment'), 'the reason for the check').to.equal('%ZZ');
    for (const raw of ['a=x&comment=%ZZ', 'a=x&comment=%', 'a=x&comment=ok%4', 'a=%G0', 'a%=x', 'a=x&comment=%E0%A4%A']) {
      expect(codeOf(raw), raw).to.equal('LINK_MALFORMED');
    }
  });

  it('refuses escapes that do not spell UTF-8 (which URLSearchParams would turn into U+FFFD)', () => {
    expect(new URLSearchParams('comment=%FF').get('comment'), 'the reason for the check').to.equal('\uFFFD');
    for (const raw of ['a=x&comment=%FF', 'a=x&comment=%C3', 'a=x&comment=%ED%A0%80', 'a=x&comment=%C0%AF']) {
      expect(codeOf(raw), raw).to.equal('LINK_MALFORMED');
    }
  });

  it('refuses a raw unpaired surrogate', () => {
    expect(codeOf('a=x&comment=\ud800')).to.equal('LINK_MALFORMED');
  });

  it('still refuses unknown, repeated and missing keys', () => {
    expect(codeOf('a=x&next=y')).to.equal('LINK_MALFORMED');
    expect(codeOf('a=x&a=y')).to.equal('LINK_MALFORMED');
    expect(codeOf('comment=y')).to.equal('LINK_MALFORMED');
  });
});
