import { expect } from 'chai';
import { ApprovalError } from '../../src/domain/errors';
import { PAGE_HEADERS, confirmationPage, errorPage } from '../../src/pages/review-page';

describe('review pages', () => {
  it('send no-store, no-referrer, nosniff and a strict CSP with frame-ancestors none', () => {
    expect(PAGE_HEADERS).to.include({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' });
    const csp = PAGE_HEADERS['content-security-policy']!;
    expect(csp).to.include("default-src 'none'").and.include("form-action 'self'").and.include("frame-ancestors 'none'");
    expect(csp).to.not.include('unsafe-inline');
  });

  it('escape every value on the confirmation page', () => {
    const html = confirmationPage({
      subject: '<script>x</script>',
      summary: '"><img src=x>',
      reviewer: 'a@example.com',
      action: 'reject',
      expiresAt: 'soon',
      hidden: { r: '"><script>' },
    });
    expect(html).to.not.include('<script>x').and.not.include('<img src=x>').and.not.include('"><script>');
    expect(html).to.match(/value="reject" checked/);
  });

  it('show the stable code and plain words, never exception text', () => {
    const err = new ApprovalError('INTERNAL', { cause: new Error('secret stack detail') });
    const html = errorPage(err);
    expect(html).to.include('Code: INTERNAL').and.not.include('secret stack detail');
  });
});
