import { expect } from 'chai';
import { adminCsrfToken, issueSession, verifySession, type AdminSession } from '../../../src/approval/domain/admin-session';
import type { AdminStore } from '../../../src/approval/domain/request-store';
import { adminDecide, requestDetail, summaryOf, type AdminDecideDeps } from '../../../src/approval/services/admin';
import { keyring } from '../../support/approval-harness';
import { approvalRecord, codeOf } from '../../support/records';

const now = new Date('2026-11-28T09:00:00.000Z');
const nowSeconds = now.getTime() / 1000;
const REQUEST_ID = 'AAAAAAAAAAAAAAAAAAAAAA';


describe('admin service', () => {
  describe('a decision from the dashboard', () => {
    // Made in `before`, not while the file loads: a session built at load time turns a broken
    // admin-session into a file that cannot load instead of a failing test.
    let session: AdminSession;
    let form: { requestId: string; csrf: string; decision: string };
    before(() => {
      session = verifySession(issueSession('ops@example.com', keyring, nowSeconds).value, keyring, nowSeconds);
      form = { requestId: REQUEST_ID, csrf: adminCsrfToken(session, keyring), decision: 'approve' };
    });
    const touched: string[] = [];
    /** Records any use of the store: a refused decision must not read or write anything. */
    const store = new Proxy({}, { get: (_t, name) => (touched.push(String(name)), () => Promise.reject(new Error(`store.${String(name)} was used`))) });
    const deps = { store, keyring, admins: ['ops@example.com'] } as unknown as AdminDecideDeps;

    beforeEach(() => (touched.length = 0));

    it('is refused (NOT_ADMIN) once the admin was removed from the list, even with a valid session and form, before any read', async () => {
      expect(await codeOf(adminDecide(session, form, { ...deps, admins: ['boss@example.com'] }, now))).to.equal('NOT_ADMIN');
      expect(touched).to.deep.equal([]);
    });

    it('is refused (CSRF_REJECTED) with a form token of another session, before any read', async () => {
      const other = verifySession(issueSession('ops@example.com', keyring, nowSeconds).value, keyring, nowSeconds);
      expect(await codeOf(adminDecide(session, { ...form, csrf: adminCsrfToken(other, keyring) }, deps, now))).to.equal('CSRF_REJECTED');
      expect(touched).to.deep.equal([]);
    });

    it('is refused (INVALID_INPUT) for a request id that cannot exist, before any read', async () => {
      for (const requestId of ['', `${REQUEST_ID}A`, `x${REQUEST_ID}`, 'AAAAAAAAAAAAAAAAAAAAA=']) {
        expect(await codeOf(adminDecide(session, { ...form, requestId }, deps, now)), requestId).to.equal('INVALID_INPUT');
      }
      expect(touched).to.deep.equal([]);
    });
  });

  describe('what the dashboard shows of a request', () => {
    const base = approvalRecord(now, { requestId: REQUEST_ID });

    it('names reviewers in the audit trail by address (r0, r1, r10), and leaves every other actor as it is', async () => {
      const reviewers = Array.from({ length: 11 }, (_, i) => `reviewer${i}@example.com`);
      const actors = ['r0', 'r1', 'r10', 'r11', 'r01', 'r1000', 'system', 'r2d2@example.com', 'boss@example.com'];
      const record = { ...base, reviewers, audit: actors.map((actor) => ({ type: 'opened' as const, at: now.toISOString(), actor })) };
      const store = { get: (id: string) => Promise.resolve(id === REQUEST_ID ? record : undefined) } as unknown as AdminStore;
      const session = verifySession(issueSession('ops@example.com', keyring, nowSeconds).value, keyring, nowSeconds);
      const view = await requestDetail(REQUEST_ID, session, { store, keyring }, now);
      expect(view.audit.map((e) => e.actor)).to.deep.equal([
        'reviewer0@example.com',
        'reviewer1@example.com',
        'reviewer10@example.com',
        'r11', // no such reviewer
        'r01',
        'r1000',
        'system',
        'r2d2@example.com', // an admin whose address starts like a reviewer index
        'boss@example.com',
      ]);
    });

    it('names the decision, who made it and when, once decided, and none of them before', () => {
      expect(summaryOf(base)).to.not.have.any.keys('decision', 'decidedBy', 'decidedAt', 'requestedBy');
      const decided = summaryOf({ ...base, status: 'REJECTED', requestedBy: 'author@example.com', decision: 'rejected', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T09:30:00.000Z' });
      expect(decided).to.include({ status: 'REJECTED', requestedBy: 'author@example.com', decision: 'rejected', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T09:30:00.000Z' });
    });
  });
});
