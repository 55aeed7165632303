import { errorSummary } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * Follows background work that is not a queued job (routing an event after Bolt acked it, a command's
 * follow-up reply, a digest), so `idle()` lets shutdown and tests wait for it. Answers themselves run
 * as durable jobs (see job-worker.ts).
 */
export class WorkRunner {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  track(name: string, work: Promise<void>): void {
    const done = work
      .catch((error: unknown) =>
        this.logger.error('background work failed', { job: name, error: errorSummary(error) }),
      )
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  get size(): number {
    return this.inFlight.size;
  }
}
