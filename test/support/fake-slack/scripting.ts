import type { Args, CallFilter, Failure } from './types.js';
import { type Body, fail } from './wire.js';

/** What the server writes back: Slack's HTTP status, JSON body and (for 429) headers. */
export interface Reply {
  status: number;
  body: Body;
  headers?: Record<string, string>;
}

/** The failures, holds and rate limits a test scripts on the fake Slack. */
export class Script {
  private readonly failures = new Map<string, { failure: Failure; when?: CallFilter }[]>();
  private readonly holds = new Map<string, { gate: Promise<void>; when?: CallFilter }>();
  private rateLimits: { rate: number; random: () => number } | undefined;

  failNext(method: string, failure: Failure, times = 1, when?: CallFilter): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(when ? { failure, when } : { failure });
    this.failures.set(method, queue);
  }

  holdNext(method: string, when?: CallFilter): () => void {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.set(method, when ? { gate, when } : { gate });
    return release;
  }

  injectRateLimits(rate: number, random: () => number): void {
    this.rateLimits = { rate, random };
  }

  /** The gate of a hold on `method` that these arguments pass, taken (each hold stops one call). */
  takeHold(method: string, args: Args): Promise<void> | undefined {
    const hold = this.holds.get(method);
    if (!hold || (hold.when && !hold.when(args))) return undefined;
    this.holds.delete(method);
    return hold.gate;
  }

  /** Takes the first scripted failure for `method` whose filter these arguments pass. */
  takeFailure(method: string, args: Args): Failure | undefined {
    const queue = this.failures.get(method) ?? [];
    const next = queue.findIndex((f) => !f.when || f.when(args));
    return next >= 0 ? queue.splice(next, 1)[0]?.failure : undefined;
  }

  /** injectRateLimits: whether this call draws a 429 (auth.test never does). */
  rateLimited(method: string): boolean {
    return !!this.rateLimits && method !== 'auth.test' && this.rateLimits.random() < this.rateLimits.rate;
  }

  reset(): void {
    this.failures.clear();
    this.holds.clear();
    this.rateLimits = undefined;
  }
}

export function failureReply(failure: Failure): Reply {
  if ('error' in failure) return { status: 200, body: fail(failure.error) };
  if (failure.status === 429) {
    return {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(failure.retryAfter) },
    };
  }
  return { status: 500, body: { ok: false, error: 'internal_error' } };
}
