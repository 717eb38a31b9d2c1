/**
 * Node's setTimeout holds at most 2^31-1 ms (~24.8 days): a longer delay fires after 1 ms.
 * The local Step Functions interpreter times a task out with one setTimeout, so a review
 * period over 24.8 days would expire at once. This wraps setTimeout/clearTimeout in the local
 * process only, chaining shorter timers for long delays; shorter delays are untouched.
 */
const MAX_DELAY = 2 ** 31 - 1;
const originalSet = globalThis.setTimeout;
const originalClear = globalThis.clearTimeout;

class LongTimeout {
  handle: ReturnType<typeof originalSet> | undefined;
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
  track(handle: ReturnType<typeof originalSet>): void {
    this.handle = handle;
    if (!this.referenced) handle.unref();
  }
}

let installed = false;

export function installLongTimers(): void {
  if (installed) return;
  installed = true;
  const longSetTimeout = (callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    if (typeof delay !== 'number' || delay <= MAX_DELAY) return originalSet(callback, delay, ...args);
    const timer = new LongTimeout();
    const due = Date.now() + delay;
    const step = () => {
      const left = due - Date.now();
      timer.track(left > MAX_DELAY ? originalSet(step, MAX_DELAY) : originalSet(() => callback(...args), Math.max(0, left)));
    };
    step();
    return timer;
  };
  globalThis.setTimeout = longSetTimeout as unknown as typeof globalThis.setTimeout;
  globalThis.clearTimeout = ((timer: unknown) => {
    if (timer instanceof LongTimeout) originalClear(timer.handle);
    else originalClear(timer as Parameters<typeof originalClear>[0]);
  }) as typeof globalThis.clearTimeout;
}
