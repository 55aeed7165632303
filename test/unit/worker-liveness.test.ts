import { describe, expect, it } from 'vitest';
import type { WorkerProcess } from '../../src/core/jobs/jobs.js';
import { workerLiveness } from '../../src/core/jobs/worker-liveness.js';
import { heartbeatTiming } from '../../src/core/jobs/worker-process.js';

const NS = 'pid:[4026531836]';
const BOOT = 'b5497fc4-de7a-4f9c-b1dc-eac38d0780b0';
const self = { host: 'web-1', pid: 100, processStartedAt: 5_000, pidNamespace: NS, bootId: BOOT };
const now = 1_000_000;
const STALE = 30_000;
const worker = (fields: Partial<WorkerProcess>): WorkerProcess => ({
  id: 'worker-x',
  host: 'web-1',
  pid: 200,
  processStartedAt: 1_000,
  pidNamespace: NS,
  bootId: BOOT,
  heartbeatAt: now - 1_000,
  ...fields,
});

describe('which job workers are known to be dead', () => {
  const runs = (alive: number[]) => (pid: number) => alive.includes(pid);

  it('on this host: dead when its pid no longer runs, alive while it runs', () => {
    expect(workerLiveness(worker({}), self, now, STALE, runs([]))).toBe('dead');
    expect(workerLiveness(worker({}), self, now, STALE, runs([200]))).toBe('alive');
  });

  it('a reused pid (ours, from a process that started before us) is dead; one in our own process is not', () => {
    expect(workerLiveness(worker({ pid: 100, processStartedAt: 1_000 }), self, now, STALE, runs([100]))).toBe(
      'dead',
    );
    expect(workerLiveness(worker({ pid: 100, processStartedAt: 5_000 }), self, now, STALE, runs([100]))).toBe(
      'alive',
    );
  });

  it('another container with the same hostname (its own pid namespace, both pid 1) beating is alive', () => {
    const ours = { ...self, pid: 1, processStartedAt: 9_000, pidNamespace: 'pid:[4026532001]' };
    const theirs = worker({ pid: 1, processStartedAt: 2_000, pidNamespace: 'pid:[4026532002]' });
    // Their pid 1 is not our pid 1, and pid 7 of theirs does not run here: neither says they died.
    expect(workerLiveness(theirs, ours, now, STALE, runs([1]))).toBe('alive');
    expect(workerLiveness({ ...theirs, pid: 7 }, ours, now, STALE, runs([1]))).toBe('alive');
    // Another boot of the same host (a reboot, or a VM clone) is not our pid space either.
    expect(workerLiveness(worker({ pid: 7, bootId: 'other-boot' }), self, now, STALE, runs([]))).toBe(
      'alive',
    );
    // Where one side could not read its namespace, pids are not compared.
    expect(workerLiveness(worker({ pid: 7, pidNamespace: null }), self, now, STALE, runs([]))).toBe('alive');
    // Only the heartbeat tells then: stale (not dead) once it is old.
    expect(workerLiveness({ ...theirs, heartbeatAt: now - STALE - 1 }, ours, now, STALE, runs([1]))).toBe(
      'stale',
    );
  });

  it('without /proc on either side (not Linux), hostname and pid still tell', () => {
    const bare = { ...self, pidNamespace: null, bootId: null };
    expect(workerLiveness(worker({ pidNamespace: null, bootId: null }), bare, now, STALE, runs([]))).toBe(
      'dead',
    );
  });

  it('on another host: alive while its heartbeat is fresh, only stale (never dead) once it is old', () => {
    const remote = { host: 'web-2', pid: 100 };
    expect(workerLiveness(worker(remote), self, now, STALE, runs([]))).toBe('alive');
    expect(
      workerLiveness(worker({ ...remote, heartbeatAt: now - STALE - 1 }), self, now, STALE, runs([])),
    ).toBe('stale');
  });

  it('beats several times per staleness window, and never waits longer than the lease', () => {
    for (const leaseMs of [1_000, 60_000, 600_000]) {
      const { heartbeatMs, staleMs } = heartbeatTiming(leaseMs);
      expect(staleMs / heartbeatMs).toBeGreaterThanOrEqual(3);
      expect(staleMs).toBeLessThanOrEqual(leaseMs);
    }
  });
});
