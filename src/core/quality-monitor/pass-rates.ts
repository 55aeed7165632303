/**
 * Why this file exists: the seed's "99.9% accuracy" as a number per check: the share of its runs that
 * passed over the last 7 and 30 days. A window without runs has no rate (not 100%). Pure.
 */

export interface RunOutcome {
  at: Date;
  passed: boolean;
}

export interface PassRate {
  passed: number;
  total: number;
  /** passed / total, 0..1; undefined when there were no runs. */
  share?: number;
}

const DAY = 86_400_000;

export function passRate(runs: readonly RunOutcome[], now: Date, days: number): PassRate {
  const since = now.getTime() - days * DAY;
  let passed = 0;
  let total = 0;
  for (const run of runs) {
    const at = run.at.getTime();
    if (at <= since || at > now.getTime()) continue;
    total += 1;
    if (run.passed) passed += 1;
  }
  return total === 0 ? { passed, total } : { passed, total, share: passed / total };
}
