import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetentionSchedule } from '../../src/core/retention/retention.js';
import type { RetentionStore } from '../../src/core/retention/retention-store.js';
import { quietLogger } from '../support/quiet-logger.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('RetentionSchedule', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-30T12:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prunes every workspace at start-up and then once a day, RETENTION_DAYS back', async () => {
    const cutoffs: [string, number][] = [];
    const retention = {
      teams: async () => ['T1', 'T2'],
      prune: async (teamId: string, cutoff: number) => {
        cutoffs.push([teamId, cutoff]);
        return { tasks: 0, turns: 0, events: 0 };
      },
    } as unknown as RetentionStore;
    const schedule = new RetentionSchedule({ retention, logger: quietLogger }, 90);
    await schedule.start();
    const start = Date.now();
    expect(cutoffs).toEqual([
      ['T1', start - 90 * DAY_MS],
      ['T2', start - 90 * DAY_MS],
    ]);
    await vi.advanceTimersByTimeAsync(DAY_MS - 1);
    expect(cutoffs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(cutoffs.slice(2)).toEqual([
      ['T1', start + DAY_MS - 90 * DAY_MS],
      ['T2', start + DAY_MS - 90 * DAY_MS],
    ]);
    schedule.stop();
    await vi.advanceTimersByTimeAsync(2 * DAY_MS);
    expect(cutoffs).toHaveLength(4);
  });
});
