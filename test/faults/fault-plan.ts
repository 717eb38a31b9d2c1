/**
 * Fault injection for the whole flow, in one process. Every AWS call the handlers make passes
 * through `FaultPlan.around` with a label (`request: SES.SendEmail #2`); one chosen call can be
 * made to fail in one of four ways. A "crash" lets the call succeed and then kills the
 * invocation that made it: from then on every call of that invocation fails before it does
 * anything, as nothing runs in a Lambda whose process died. Invocations are told apart with
 * AsyncLocalStorage, so a handler's own try/catch cannot keep a dead invocation going.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type Fault = 'throttle' | '5xx' | 'timeout' | 'crash';
export const FAULTS: Fault[] = ['throttle', '5xx', 'timeout', 'crash'];

/** Which actor made a call: the Lambda (or Step Functions itself) and how AWS would retry it. */
export type Actor = 'posts' | 'workflow' | 'request' | 'review' | 'admin' | 'notify' | 'sweeper' | 'closer' | 'post-closer';

interface Invocation {
  actor: Actor;
  dead: boolean;
}

/** The error a dead invocation's calls fail with; nothing was done. */
export class Crash extends Error {
  constructor() {
    super('the process died');
    this.name = 'Crash';
  }
}

const THROTTLE_NAMES: Record<string, string> = {
  DynamoDB: 'ProvisionedThroughputExceededException',
  KMS: 'ThrottlingException',
  SES: 'Throttling',
  SFN: 'ThrottlingException',
};

function throttle(service: string): Error {
  return Object.assign(new Error('Rate exceeded'), { name: THROTTLE_NAMES[service] ?? 'ThrottlingException', $fault: 'client', $retryable: { throttling: true }, $metadata: { httpStatusCode: 400 } });
}

function serverError(service: string): Error {
  const name = service === 'DynamoDB' ? 'InternalServerError' : service === 'KMS' ? 'KMSInternalException' : 'ServiceUnavailable';
  return Object.assign(new Error('We encountered an internal error. Please try again.'), { name, $fault: 'server', $metadata: { httpStatusCode: 500 } });
}

/** The call was carried out, but its answer never came back (a socket timeout after the request). */
function lostAnswer(): Error {
  return Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError', $metadata: {} });
}

export class FaultPlan {
  /** Every call made so far, by label, in order. */
  readonly trace: string[] = [];
  /** Whether the injected fault happened (its call was reached). */
  injected = false;
  private readonly counts = new Map<string, number>();
  private readonly als = new AsyncLocalStorage<Invocation>();

  constructor(readonly target?: { label: string; fault: Fault }) {}

  /** Runs one invocation of `actor`; `crashed` when a crash killed it (its result is then meaningless). */
  async invoke<T>(actor: Actor, run: () => Promise<T>): Promise<{ crashed: boolean; result?: T; error?: unknown }> {
    const invocation: Invocation = { actor, dead: false };
    try {
      const result = await this.als.run(invocation, run);
      return { crashed: invocation.dead, result };
    } catch (error) {
      return { crashed: invocation.dead, error };
    }
  }

  /** One AWS call: `service` (DynamoDB, KMS, SES, SFN), `what` (the command and, for DynamoDB, the item kind). */
  async around<T>(service: string, what: string, call: () => Promise<T>): Promise<T> {
    const invocation = this.als.getStore();
    if (invocation?.dead) throw new Crash();
    const base = `${invocation?.actor ?? 'test'}: ${service}.${what}`;
    const n = (this.counts.get(base) ?? 0) + 1;
    this.counts.set(base, n);
    const label = `${base} #${n}`;
    this.trace.push(label);
    if (!this.target || this.target.label !== label) return call();
    this.injected = true;
    switch (this.target.fault) {
      case 'throttle':
        throw throttle(service);
      case '5xx':
        throw serverError(service);
      case 'timeout':
        await call();
        throw lostAnswer();
      case 'crash': {
        const result = await call();
        // Step Functions' own calls cannot crash: a crash is a Lambda's.
        if (invocation && invocation.actor !== 'workflow') {
          invocation.dead = true;
          throw new Crash();
        }
        return result;
      }
    }
  }
}
