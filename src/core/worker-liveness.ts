import type { WorkerProcess } from './jobs.js';

/**
 * Which other job workers are known to be dead, so a starting (or running) worker takes over their
 * jobs at once instead of waiting for their leases to expire (JOB_LEASE_SECONDS).
 *
 * A worker is dead when:
 * - it ran on this host under a pid that no longer runs; or
 * - it ran on this host under this very pid but in an OS process that started earlier than ours
 *   (a pid reused after a restart, e.g. pid 1 in a container): one pid is one process at a time; or
 * - its heartbeat is older than `staleMs`, several heartbeat intervals (a worker on another host, a
 *   frozen process, or a worker in this same process that stopped without unregistering).
 * A live worker keeps its heartbeat fresh and, on this host, its pid running, so its jobs are never
 * taken over. Should a frozen one wake after all, its next lease renewal fails and the job's
 * AbortSignal stops it before it writes again: one job never has two writers.
 */
export function isDeadWorker(
  worker: WorkerProcess,
  self: { host: string; pid: number; processStartedAt: number },
  now: number,
  staleMs: number,
  pidRuns: (pid: number) => boolean,
): boolean {
  if (now - worker.heartbeatAt > staleMs) return true;
  if (worker.host !== self.host) return false;
  if (worker.pid !== self.pid) return !pidRuns(worker.pid);
  return worker.processStartedAt !== self.processStartedAt;
}
