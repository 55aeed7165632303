import type { Logger } from './ports.js';

/**
 * Runs background work after a Slack request has been acknowledged, at most `limit` jobs at once so a
 * burst of tasks cannot exhaust the Claude API quota. `idle()` lets shutdown and tests wait for it.
 */
export class WorkRunner {
  private running = 0;
  private readonly waiting: { start(): void; drop(): void }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly limit: number,
    private readonly logger: Logger,
  ) {}

  run(name: string, job: () => Promise<void>): void {
    const done = this.acquire()
      .then(job)
      .catch((error: unknown) =>
        this.logger.error('background job failed', { job: name, error: describe(error) }),
      )
      .finally(() => {
        this.release();
        this.inFlight.delete(done);
      });
    this.inFlight.add(done);
  }

  /** Follows work that needs no slot (e.g. routing an incoming message), so idle() waits for it too. */
  track(name: string, work: Promise<void>): void {
    const done = work
      .catch((error: unknown) =>
        this.logger.error('background work failed', { job: name, error: describe(error) }),
      )
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /** Starts nothing more: jobs still waiting for a slot are dropped (their tasks stay stored). */
  stop(): void {
    this.stopped = true;
    for (const waiter of this.waiting.splice(0)) waiter.drop();
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  get size(): number {
    return this.inFlight.size;
  }

  private acquire(): Promise<void> {
    if (this.stopped) return Promise.reject(new RunnerStopped());
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) =>
      this.waiting.push({ start: resolve, drop: () => reject(new RunnerStopped()) }),
    );
  }

  /** Hands the slot straight to the next waiting job, if any. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.running -= 1;
  }
}

class RunnerStopped extends Error {}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
