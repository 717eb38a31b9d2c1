import { expect } from 'chai';
import { MAX_TIMER_DELAY, longTimers } from '../../src/local/long-timers';

/** A scheduler that only records; the test fires timers by hand and moves the clock. */
function fakeBase() {
  let clock = 0;
  const scheduled: { fn: () => void; delay: number; cleared: boolean }[] = [];
  const handle = () => ({ ref: () => undefined, unref: () => undefined });
  return {
    scheduled,
    now: () => clock,
    advance: (ms: number) => (clock += ms),
    base: {
      setTimeout: (fn: (...args: unknown[]) => void, delay?: number) => {
        const entry = { fn: fn as () => void, delay: delay ?? 0, cleared: false, ...handle() };
        scheduled.push(entry);
        return entry;
      },
      clearTimeout: (h: unknown) => {
        if (h) (h as { cleared: boolean }).cleared = true;
      },
    },
  };
}

describe('local mode: long timers', () => {
  const DAY = 24 * 3600 * 1000;

  it('leaves delays up to 24.8 days to the platform unchanged', () => {
    const f = fakeBase();
    longTimers(f.base, f.now).setTimeout(() => undefined, 7 * DAY);
    expect(f.scheduled.map((s) => s.delay)).to.deep.equal([7 * DAY]);
  });

  it('fires a 40-day timeout after 40 days, not at once', () => {
    const f = fakeBase();
    let fired = 0;
    longTimers(f.base, f.now).setTimeout(() => fired++, 40 * DAY);
    expect(f.scheduled.map((s) => s.delay)).to.deep.equal([MAX_TIMER_DELAY]);

    f.advance(MAX_TIMER_DELAY);
    f.scheduled[0]!.fn();
    expect(fired).to.equal(0);
    expect(f.scheduled[1]!.delay).to.equal(40 * DAY - MAX_TIMER_DELAY);

    f.advance(40 * DAY - MAX_TIMER_DELAY);
    f.scheduled[1]!.fn();
    expect(fired).to.equal(1);
  });

  it('cancels a long timeout at any stage of its chain', () => {
    const f = fakeBase();
    const timers = longTimers(f.base, f.now);
    const handle = timers.setTimeout(() => undefined, 60 * DAY);
    f.advance(MAX_TIMER_DELAY);
    f.scheduled[0]!.fn();
    timers.clearTimeout(handle);
    expect(f.scheduled[1]!.cleared).to.equal(true);
  });
});
