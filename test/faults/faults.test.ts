/**
 * Fault injection across the whole flow (`npm run test:faults`, part of `npm test`). Each
 * scenario runs once to record every AWS call it makes; then, for each of those calls and each
 * fault (throttled, a 5xx, a timeout whose answer is lost after the call was carried out, and a
 * crash of the Lambda right after the call succeeded), it runs again with that one call failing,
 * lets whoever retries it on AWS retry, and checks the promises:
 *   - the post ends in exactly one final state (PUBLISHED, REJECTED, EXPIRED, FAILED), and its
 *     submission's retries (same Idempotency-Key) started one execution, never a second;
 *   - Step Functions accepted at most one SendTaskSuccess/Failure for the request;
 *   - no reviewer got a second review email, and the author was told exactly once, except the
 *     duplicates the README documents (an email whose sending timed out, or whose Lambda died
 *     right after SES accepted it, is sent again by the retry);
 *   - every reviewer was asked; nothing is left PENDING or DECIDING once the scenario is over.
 * It prints the table (call × fault → outcome) and its totals.
 */
import { expect } from 'chai';
import { FAULTS, FaultPlan, type Fault } from './fault-plan';
import { DAY, Flow, type FlowOptions, type Outcome } from './flow';

const AUTHOR = 'author@example.com';
const POST = { title: 'Faults', body: 'A post written to be reviewed while things break.', authorEmail: AUTHOR };

interface Scenario {
  name: string;
  options: FlowOptions;
  reviewers: string[];
  /** The final post status the scenario aims for (a definite failure may end it FAILED instead). */
  expect: string;
  expectRequest: string;
  run(flow: Flow): Promise<string | undefined>;
}

const sweepTwice = async (flow: Flow) => {
  for (let i = 0; i < 2; i++) {
    flow.clock.advance(15 * 60);
    await flow.sweep();
  }
};

const SCENARIOS: Scenario[] = [
  {
    name: 'a reviewer approves (request path, decision path, "no action needed", closers)',
    options: {},
    reviewers: ['alice@example.com', 'bob@example.com'],
    expect: 'PUBLISHED',
    expectRequest: 'APPROVED',
    async run(flow) {
      const id = await flow.submit(POST);
      if (!id) return undefined;
      await flow.click('alice@example.com', 'approve');
      await sweepTwice(flow);
      return id;
    },
  },
  {
    name: 'an admin decides (the dashboard’s decision)',
    options: {},
    reviewers: ['alice@example.com', 'bob@example.com'],
    expect: 'REJECTED',
    expectRequest: 'REJECTED',
    async run(flow) {
      const id = await flow.submit(POST);
      if (!id) return undefined;
      const request = await flow.requestOf(id);
      if (request) await flow.adminDecides(request.requestId, 'rejected');
      await sweepTwice(flow);
      return id;
    },
  },
  {
    name: 'nobody decides (the sweeper: escalation, reminders, expiry)',
    options: { escalateTo: ['carol@example.com'], escalateAfterSeconds: 2 * DAY },
    reviewers: ['alice@example.com', 'bob@example.com', 'carol@example.com'],
    expect: 'EXPIRED',
    expectRequest: 'EXPIRED',
    async run(flow) {
      const id = await flow.submit(POST);
      if (!id) return undefined;
      flow.clock.advance(2 * DAY + 60);
      await sweepTwice(flow);
      flow.clock.advance(4 * DAY);
      await sweepTwice(flow);
      flow.clock.advance(DAY);
      flow.expireTasks();
      await flow.settle();
      await sweepTwice(flow);
      return id;
    },
  },
];

/** Faults after which a retry may send one email again, as the README documents. */
function duplicateAllowed(label: string, fault: Fault, kind: 'review' | 'author'): boolean {
  if (fault !== 'timeout' && fault !== 'crash') return false;
  if (kind === 'author') return label.startsWith('notify: SES.SendEmail') || label.startsWith('post-closer: SES.SendEmail');
  // A review email (the request Lambda's, or the sweeper's escalation email), or the record of it written right after.
  return ['request: SES.SendEmail', 'request: DynamoDB.UpdateItem REQ', 'sweeper: SES.SendEmail', 'sweeper: DynamoDB.UpdateItem REQ'].some((prefix) => label.startsWith(prefix));
}

function violations(scenario: Scenario, outcome: Outcome, target?: { label: string; fault: Fault }): string[] {
  const out: string[] = [];
  const [status] = outcome.post.split(' ');
  if (!['PUBLISHED', 'REJECTED', 'EXPIRED', 'FAILED'].includes(status!)) out.push(`post ${outcome.post}`);
  if (status === 'FAILED' && outcome.request !== 'none' && outcome.request !== 'CLOSED') out.push(`post FAILED but request ${outcome.request}`);
  if (status !== 'FAILED' && outcome.request !== scenario.expectRequest) out.push(`request ${outcome.request}`);
  if (outcome.callbacks > 1) out.push(`${outcome.callbacks} callbacks`);
  if (outcome.executions > 1) out.push(`${outcome.executions} executions`);
  for (const reviewer of scenario.reviewers) {
    const n = outcome.reviewEmails[reviewer] ?? 0;
    if (status !== 'FAILED' && n === 0) out.push(`${reviewer} never asked`);
    if (n > 1 && !(n === 2 && target && duplicateAllowed(target.label, target.fault, 'review'))) out.push(`${reviewer} asked ${n}×`);
    if ((outcome.reminders[reviewer] ?? 0) > 1) out.push(`${reviewer} reminded ${outcome.reminders[reviewer]}×`);
  }
  if (outcome.authorEmails === 0) out.push('author never told');
  if (outcome.authorEmails > 1 && !(outcome.authorEmails === 2 && target && duplicateAllowed(target.label, target.fault, 'author'))) out.push(`author told ${outcome.authorEmails}×`);
  return out;
}

interface Row {
  label: string;
  cells: Record<Fault, string>;
}

async function runOnce(scenario: Scenario, plan: FaultPlan): Promise<{ outcome: Outcome; trace: string[] }> {
  const flow = await Flow.start(plan, scenario.options);
  try {
    const id = await scenario.run(flow);
    return { outcome: await flow.outcome(id, AUTHOR), trace: plan.trace };
  } finally {
    await flow.stop();
  }
}

describe('fault injection across the whole flow', function () {
  this.timeout(600_000);
  const tables: { scenario: string; rows: Row[]; cases: number; ok: number; duplicates: number; failedPosts: number; broken: string[] }[] = [];

  after(() => {
    for (const t of tables) {
      const width = Math.max(...t.rows.map((r) => r.label.length), 10);
      console.log(`\n  ${t.scenario}`);
      console.log(`  ${'call'.padEnd(width)}  ${FAULTS.map((f) => f.padEnd(22)).join('')}`);
      for (const row of t.rows) console.log(`  ${row.label.padEnd(width)}  ${FAULTS.map((f) => row.cells[f].padEnd(22)).join('')}`);
      console.log(`  ${t.cases} cases: ${t.ok} kept every promise (${t.duplicates} with a documented duplicate email, ${t.failedPosts} ending FAILED), ${t.broken.length} broke one`);
    }
  });

  for (const scenario of SCENARIOS) {
    it(`keeps every promise when any call fails: ${scenario.name}`, async () => {
      const baseline = await runOnce(scenario, new FaultPlan());
      expect(violations(scenario, baseline.outcome), 'without faults').to.deep.equal([]);
      expect(baseline.outcome.post).to.equal(scenario.expect);

      const labels = [...new Set(baseline.trace.filter((l) => !l.startsWith('test:')))];
      const rows: Row[] = [];
      const broken: string[] = [];
      let ok = 0;
      let duplicates = 0;
      let failedPosts = 0;
      for (const label of labels) {
        const cells = {} as Record<Fault, string>;
        for (const fault of FAULTS) {
          // Step Functions' own service calls neither crash nor lose their answers to a workflow.
          if (label.startsWith('workflow:') && (fault === 'crash' || fault === 'timeout')) {
            cells[fault] = 'n/a';
            continue;
          }
          const target = { label, fault };
          const { outcome } = await runOnce(scenario, new FaultPlan(target));
          const problems = violations(scenario, outcome, target);
          const dup = Object.values(outcome.reviewEmails).some((n) => n > 1) || outcome.authorEmails > 1;
          if (problems.length > 0) broken.push(`${label} × ${fault}: ${problems.join(', ')} (post ${outcome.post}, request ${outcome.request})`);
          else {
            ok++;
            if (dup) duplicates++;
            if (outcome.post.startsWith('FAILED')) failedPosts++;
          }
          cells[fault] = problems.length > 0 ? `✗ ${outcome.post}` : `${outcome.post}${dup ? ' +dup' : ''}`;
        }
        rows.push({ label, cells });
      }
      const cases = rows.reduce((n, row) => n + Object.values(row.cells).filter((c) => c !== 'n/a').length, 0);
      tables.push({ scenario: scenario.name, rows, cases, ok, duplicates, failedPosts, broken });
      expect(broken).to.deep.equal([]);
    });
  }
});
