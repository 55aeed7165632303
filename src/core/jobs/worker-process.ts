import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import type { JobQueue, WorkerProcess } from './jobs.js';
import { workerLiveness } from './worker-liveness.js';

/** How this process is told apart from others on the database (see core/worker-liveness.ts). */
export type WorkerIdentity = Pick<
  WorkerProcess,
  'host' | 'pid' | 'processStartedAt' | 'pidNamespace' | 'bootId'
>;

/** A worker's heartbeat interval, and how old a heartbeat may grow before its worker counts as dead. */
export function heartbeatTiming(leaseMs: number): { heartbeatMs: number; staleMs: number } {
  const heartbeatMs = Math.min(5_000, Math.max(50, Math.floor(leaseMs / 3)));
  // Several missed beats, and never longer than the lease (which frees the jobs anyway).
  return { heartbeatMs, staleMs: Math.min(leaseMs, Math.max(3 * heartbeatMs, 30_000)) };
}

export function thisProcess(): WorkerIdentity {
  return {
    host: hostname(),
    pid: process.pid,
    processStartedAt: Math.round(performance.timeOrigin),
    pidNamespace: readOrNull(() => readlinkSync('/proc/self/ns/pid')),
    bootId: readOrNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
  };
}

/** Linux only: elsewhere (no /proc) the value is unknown. */
function readOrNull(read: () => string): string | null {
  try {
    return read() || null;
  } catch {
    return null;
  }
}

/** Signal 0 tests for a process without touching it; EPERM means it runs under another user. */
export function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes back the jobs of other workers that died (all of them) or stopped beating (only those whose
 * lease also ran out). Returns how many jobs came back to the queue.
 */
export async function takeOverDeadWorkers(
  queue: JobQueue,
  self: WorkerProcess,
  now: number,
  options: { staleMs: number; pidRuns: (pid: number) => boolean; logger: Logger },
): Promise<number> {
  let reclaimed = 0;
  for (const other of await queue.otherWorkers(self.id)) {
    const liveness = workerLiveness(other, self, now, options.staleMs, options.pidRuns);
    if (liveness === 'alive') continue;
    // A stale heartbeat is no proof of death (a skewed clock, a stalled loop, a busy database):
    // only the jobs whose lease also ran out are taken.
    const jobs =
      liveness === 'dead' ? await queue.reclaimFrom(other.id) : await queue.reclaimExpiredFrom(other.id, now);
    reclaimed += jobs;
    if (liveness === 'dead' || jobs > 0)
      options.logger.info('took over the jobs of a worker that died or stopped beating', {
        worker: other.id,
        host: other.host,
        pid: other.pid,
        liveness,
        jobs,
      });
  }
  return reclaimed;
}
