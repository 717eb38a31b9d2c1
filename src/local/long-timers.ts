/**
 * Node's setTimeout holds at most 2^31-1 ms (~24.8 days): a longer delay fires after 1 ms.
 * The local Step Functions interpreter times a task out with one setTimeout, so a review
 * period over 24.8 days would expire at once. Local mode wraps setTimeout/clearTimeout in its
 * own process, chaining shorter timers for long delays; shorter delays are untouched.
 */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

type Handle = { ref(): unknown; unref(): unknown };
export interface TimerFunctions {
  setTimeout(callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]): unknown;
  clearTimeout(handle: unknown): void;
}

class LongTimeout {
  handle: Handle | undefined;
  private referenced = true;
  ref(): this {
    this.referenced = true;
    this.handle?.ref();
    return this;
  }
  unref(): this {
    this.referenced = false;
    this.handle?.unref();
    return this;
  }
  hasRef(): boolean {
    return this.referenced;
  }
  /** Applies the current ref state to a freshly chained handle. */
  track(handle: Handle): void {
    this.handle = handle;
    if (!this.referenced) handle.unref();
  }
}

/** Timer functions over `base` that also honour delays beyond MAX_TIMER_DELAY. */
export function longTimers(base: TimerFunctions, now: () => number = Date.now): TimerFunctions {
  return {
    setTimeout(callback, delay, ...args) {
      if (typeof delay !== 'number' || delay <= MAX_TIMER_DELAY) return base.setTimeout(callback, delay, ...args);
      const timer = new LongTimeout();
      const due = now() + delay;
      const step = () => {
        const left = due - now();
        timer.track((left > MAX_TIMER_DELAY ? base.setTimeout(step, MAX_TIMER_DELAY) : base.setTimeout(() => callback(...args), Math.max(0, left))) as Handle);
      };
      step();
      return timer;
    },
    clearTimeout(handle) {
      base.clearTimeout(handle instanceof LongTimeout ? handle.handle : handle);
    },
  };
}

let installed = false;

/** Installs longTimers over the global timers, once per process (local mode only). */
export function installLongTimers(): void {
  if (installed) return;
  installed = true;
  const wrapped = longTimers({ setTimeout: globalThis.setTimeout.bind(globalThis) as TimerFunctions['setTimeout'], clearTimeout: globalThis.clearTimeout.bind(globalThis) as TimerFunctions['clearTimeout'] });
  globalThis.setTimeout = wrapped.setTimeout as unknown as typeof globalThis.setTimeout;
  globalThis.clearTimeout = wrapped.clearTimeout as typeof globalThis.clearTimeout;
}
