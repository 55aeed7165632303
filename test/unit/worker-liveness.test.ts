import { describe, expect, it } from 'vitest';
import { heartbeatTiming } from '../../src/core/job-worker.js';
import { isDeadWorker } from '../../src/core/worker-liveness.js';

const self = { host: 'web-1', pid: 100, processStartedAt: 5_000 };
const now = 1_000_000;
const STALE = 30_000;
const worker = (
  fields: Partial<{ host: string; pid: number; processStartedAt: number; heartbeatAt: number }>,
) => ({
  id: 'worker-x',
  host: 'web-1',
  pid: 200,
  processStartedAt: 1_000,
  heartbeatAt: now - 1_000,
  ...fields,
});

describe('which job workers are known to be dead', () => {
  const runs = (alive: number[]) => (pid: number) => alive.includes(pid);

  it('on this host: dead when its pid no longer runs, alive while it runs', () => {
    expect(isDeadWorker(worker({}), self, now, STALE, runs([]))).toBe(true);
    expect(isDeadWorker(worker({}), self, now, STALE, runs([200]))).toBe(false);
  });

  it('a reused pid (ours, from a process that started before us) is dead; one in our own process is not', () => {
    expect(isDeadWorker(worker({ pid: 100, processStartedAt: 1_000 }), self, now, STALE, runs([100]))).toBe(
      true,
    );
    expect(isDeadWorker(worker({ pid: 100, processStartedAt: 5_000 }), self, now, STALE, runs([100]))).toBe(
      false,
    );
  });

  it('on another host: alive while its heartbeat is fresh, dead once it is much older than its interval', () => {
    const remote = { host: 'web-2', pid: 100 };
    expect(isDeadWorker(worker(remote), self, now, STALE, runs([]))).toBe(false);
    expect(
      isDeadWorker(worker({ ...remote, heartbeatAt: now - STALE - 1 }), self, now, STALE, runs([])),
    ).toBe(true);
  });

  it('beats several times per staleness window, and never waits longer than the lease', () => {
    for (const leaseMs of [1_000, 60_000, 600_000]) {
      const { heartbeatMs, staleMs } = heartbeatTiming(leaseMs);
      expect(staleMs / heartbeatMs).toBeGreaterThanOrEqual(3);
      expect(staleMs).toBeLessThanOrEqual(leaseMs);
    }
  });
});
