import type { WorkerProcess } from './jobs.js';

/** What this process knows about another worker (see `workerLiveness`). */
export type WorkerLiveness =
  /** Beats and, where we can tell, runs: its jobs stay its own. */
  | 'alive'
  /**
   * Its process is gone (checked on the same host, pid namespace and boot): its jobs may be taken at
   * once, since nothing can write for it any more.
   */
  | 'dead'
  /**
   * Its heartbeat is old, but it may still run (another host with a skewed clock, a stalled event
   * loop, heartbeats refused by a busy database): only its jobs whose lease also expired may be taken.
   */
  | 'stale';

type Self = Pick<WorkerProcess, 'host' | 'pid' | 'processStartedAt' | 'pidNamespace' | 'bootId'>;

/**
 * Whether a pid recorded by `worker` names a process we can see. Same hostname is not enough: two
 * containers with one hostname (host networking, compose `hostname:`) have separate pid namespaces
 * (often both pid 1), so `kill(pid, 0)` here says nothing about the other. Only the same host, pid
 * namespace and boot make the pid checks trustworthy; where the namespace cannot be read (no /proc:
 * not Linux, hence no containers) hostname and boot must both be unknown on each side.
 */
export function sharesPidSpace(worker: Self, self: Self): boolean {
  return (
    worker.host === self.host &&
    (worker.pidNamespace ?? null) === (self.pidNamespace ?? null) &&
    (worker.bootId ?? null) === (self.bootId ?? null)
  );
}

/**
 * Which other job workers are known to be dead, so a running worker takes over their jobs at once
 * instead of waiting for their leases to expire (JOB_LEASE_SECONDS).
 *
 * A worker is dead when, in our pid space (see `sharesPidSpace`):
 * - its pid no longer runs; or
 * - it had this very pid but in an OS process that started earlier than ours (a pid reused after a
 *   restart, e.g. pid 1 in a container): one pid is one process at a time.
 * A worker whose heartbeat is older than `staleMs` is only stale: it may still run and write (a frozen
 * process wakes, another host's clock is skewed), so its jobs are taken only once their lease expired,
 * and it aborts its own jobs when it cannot beat (JobWorker), so one job never has two writers.
 */
export function workerLiveness(
  worker: WorkerProcess,
  self: Self,
  now: number,
  staleMs: number,
  pidRuns: (pid: number) => boolean,
): WorkerLiveness {
  if (sharesPidSpace(worker, self)) {
    if (worker.pid !== self.pid && !pidRuns(worker.pid)) return 'dead';
    if (worker.pid === self.pid && worker.processStartedAt !== self.processStartedAt) return 'dead';
  }
  return now - worker.heartbeatAt > staleMs ? 'stale' : 'alive';
}
