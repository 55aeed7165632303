import type { Logger } from './core/logger.js';

/**
 * Why this file exists: refusing forged or malformed requests must cost an attacker's target nothing,
 * and a warn line per refusal lets anyone fill the disk and drown real warnings. This logs the first
 * `burst` lines of each window, then counts the rest and reports the count once with the next line.
 */
export class ThrottledWarn {
  private windowStart = 0;
  private logged = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly options: { burst: number; windowMs: number; now?: () => number } = {
      burst: 5,
      windowMs: 60_000,
    },
  ) {}

  warn(message: string, fields: Record<string, unknown>): void {
    const now = (this.options.now ?? Date.now)();
    if (now - this.windowStart >= this.options.windowMs) {
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged >= this.options.burst) {
      this.suppressed += 1;
      return;
    }
    this.logged += 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.logger.warn(message, suppressed > 0 ? { ...fields, suppressedSinceLastLine: suppressed } : fields);
  }
}
