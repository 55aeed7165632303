import { errorSummary } from '../errors.js';
import { type CheckRunnerDeps, runDueChecks } from './check-runner.js';

/** How often the scheduler looks for due checks: slots are minutes apart at the closest (15). */
export const CHECK_TICK_MS = 30_000;

/**
 * Runs `runDueChecks` every tick, never two passes at once (a slow source makes a pass long; the next
 * tick then finds the pass still going and waits for the one after). The first pass at start catches
 * up on slots missed while the bot was down.
 */
export class CheckScheduler {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;

  constructor(
    private readonly deps: CheckRunnerDeps,
    private readonly options: {
      tickMs?: number;
      track: (name: string, work: Promise<void>) => void;
    },
  ) {}

  start(): void {
    void this.tick();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? CHECK_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts a pass unless one is going; resolves when the current pass ends. */
  tick(): Promise<void> {
    if (!this.pass) {
      const now = this.deps.checkClock();
      this.pass = runDueChecks(this.deps, now)
        .then(() => undefined)
        .catch((error: unknown) =>
          this.deps.logger.error('check pass failed', { error: errorSummary(error) }),
        )
        .finally(() => {
          this.pass = undefined;
        });
      this.options.track('quality-checks', this.pass);
    }
    return this.pass;
  }
}
