import { randomUUID } from 'node:crypto';
import type { Job, JobQueue } from './jobs.js';
import type { Logger } from './ports.js';
import { describe } from './work-runner.js';

export interface JobWorkerOptions {
  /** Jobs running at once in this process (MAX_CONCURRENT_GENERATIONS): bounds concurrent model calls. */
  concurrency: number;
  /** How long a claimed job stays ours without a renewal; a dead process's jobs return after it. */
  leaseMs: number;
  /** Longest sleep between looks at the queue (jobs of other processes, expired leases). */
  pollMs: number;
  logger: Logger;
}

/** A job's handler threw (not a failed answer, which the handler records itself): back off and retry. */
const MAX_ATTEMPTS = 8;
const retryDelayMs = (attempts: number) => Math.min(5 * 60_000, 2_000 * 2 ** (attempts - 1));

/**
 * Runs queued jobs with bounded concurrency. `kick()` after enqueueing starts work at once; a timer
 * wakes the worker for delayed jobs and for leases left behind by a process that died.
 */
export class JobWorker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private kicked = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly handle: (job: Job) => Promise<void>,
    private readonly options: JobWorkerOptions,
    /** A job that kept failing (or kept killing its process) is dropped: record its task as failed. */
    private readonly giveUp: (job: Job) => Promise<void> = async () => {},
  ) {}

  start(): void {
    this.pump();
  }

  /** New work was queued: look now. */
  kick(): void {
    // A burst of new tasks (each acked first) needs one look at the queue, not one per task.
    if (this.stopped || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.pump();
    });
  }

  /** Claims nothing more; running jobs go on (their leases keep them ours until they end). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * After the grace period of a stop: jobs still running are handed back to the queue, so the next
   * start takes them at once instead of waiting for their leases to expire.
   */
  releaseUnfinished(): number {
    if (this.running.size === 0) return 0;
    return this.queue.releaseAll(this.owner);
  }

  /**
   * Resolves when this worker runs nothing and, unless stopped, the queue is empty (it sleeps until a
   * delayed job or an expired lease comes due). Tests and benchmarks wait on it.
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.running.size > 0) {
        await Promise.allSettled([...this.running]);
        continue;
      }
      const wake = this.queue.nextWakeAt();
      if (this.stopped || wake === undefined) return;
      if (wake > Date.now())
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, wake - Date.now())));
      this.pump();
      // Nothing could be claimed (e.g. another process holds the task): never spin without yielding.
      if (this.running.size === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get activeCount(): number {
    return this.running.size;
  }

  private pump(): void {
    if (this.stopped) return;
    while (this.running.size < this.options.concurrency) {
      let job: Job | undefined;
      try {
        job = this.queue.claim(this.owner, this.options.leaseMs);
      } catch (error) {
        this.options.logger.error('could not claim a job', { error: describe(error) });
      }
      if (!job) break;
      if (job.attempts > MAX_ATTEMPTS) this.drop(job);
      else this.run(job);
    }
    this.scheduleWake();
  }

  private scheduleWake(): void {
    if (this.timer) clearTimeout(this.timer);
    const next = this.queue.nextWakeAt();
    const wait =
      next === undefined
        ? this.options.pollMs
        : Math.min(this.options.pollMs, Math.max(10, next - Date.now()));
    this.timer = setTimeout(() => this.pump(), wait);
    this.timer.unref();
  }

  /** Stops retrying a job: its task is marked failed (with a Retry button) and the job removed. */
  private drop(job: Job): void {
    this.options.logger.error('giving up on a job', {
      jobId: job.id,
      taskId: job.taskId,
      attempts: job.attempts,
    });
    const done = this.giveUp(job)
      .catch((error: unknown) =>
        this.options.logger.error('could not fail a dropped job', { error: describe(error) }),
      )
      .finally(() => {
        try {
          this.queue.complete(job.id, this.owner);
        } catch (error) {
          this.options.logger.error('could not remove a dropped job', { error: describe(error) });
        }
        this.running.delete(done);
      });
    this.running.add(done);
  }

  private run(job: Job): void {
    const log = this.options.logger.child({ jobId: job.id, teamId: job.teamId, taskId: job.taskId });
    const heartbeat = setInterval(() => {
      try {
        if (!this.queue.renew(job.id, this.owner, this.options.leaseMs)) log.warn('lost the lease on a job');
      } catch (error) {
        log.warn('could not renew a job lease', { error: describe(error) });
      }
    }, this.options.leaseMs / 3);
    heartbeat.unref();
    const done = this.handle(job)
      .then(() => this.queue.complete(job.id, this.owner))
      .catch((error: unknown) => {
        log.error('job failed', { attempts: job.attempts, error: describe(error) });
        try {
          if (job.attempts >= MAX_ATTEMPTS) return this.drop(job);
          this.queue.retryAt(job.id, this.owner, Date.now() + retryDelayMs(job.attempts), describe(error));
        } catch (storeError) {
          log.error('could not reschedule a job', { error: describe(storeError) });
        }
      })
      .finally(() => {
        clearInterval(heartbeat);
        this.running.delete(done);
        this.pump();
      });
    this.running.add(done);
  }
}
