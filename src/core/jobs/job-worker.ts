import { randomUUID } from 'node:crypto';
import { type AbortReason, abortReason, errorSummary, JobAbortedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { checkBeforeSlackCalls } from './abortable-slack.js';
import type { AnswerWorker } from './answer-worker.js';
import type { Job, JobQueue, WorkerProcess } from './jobs.js';
import {
  heartbeatTiming,
  pidRuns,
  takeOverDeadWorkers,
  thisProcess,
  type WorkerIdentity,
} from './worker-process.js';

export interface JobWorkerOptions {
  /** Jobs running at once in this process (MAX_CONCURRENT_GENERATIONS): bounds concurrent model calls. */
  concurrency: number;
  /** How long a claimed job stays ours without a renewal; a dead process's jobs return after it. */
  leaseMs: number;
  /** Longest sleep between looks at the queue (jobs of other processes, expired leases). */
  pollMs: number;
  logger: Logger;
  /** How this process is told apart from others on the database (defaults: this host and process). */
  identity?: WorkerIdentity;
  /** Whether a pid runs on this host (default: signal 0). */
  pidRuns?: (pid: number) => boolean;
  /** The clock (tests). */
  now?: () => number;
}

/** A job's handler threw (not a failed answer, which the handler records itself): back off and retry. */
const MAX_ATTEMPTS = 8;
const retryDelayMs = (attempts: number) => Math.min(5 * 60_000, 2_000 * 2 ** (attempts - 1));

/**
 * Runs queued jobs with bounded concurrency. `kick()` after enqueueing starts work at once; a timer
 * wakes the worker for delayed jobs and for leases left behind by a process that died.
 */
export class JobWorker implements AnswerWorker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly running = new Set<Promise<void>>();
  /** The abort controller of each running job, by task: lease loss, shutdown and Stop end its work. */
  private readonly controllers = new Map<number, { teamId: string; controller: AbortController }>();
  private timer: NodeJS.Timeout | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  private readonly self: WorkerProcess;
  private readonly timing: { heartbeatMs: number; staleMs: number };
  private stopped = false;
  private kicked = false;
  /** The pump under way, if any: claims are awaited, so two pumps at once could both see a free slot. */
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private readonly now: () => number;
  /**
   * When this worker's row last got a heartbeat: once older than `staleMs` others may treat the
   * worker as gone, so its jobs abort a margin before that (see `stillOurs`).
   */
  private lastBeatAt: number;

  constructor(
    private readonly queue: JobQueue,
    /** Runs one job; after `signal` aborts it must write nothing more (see core/errors.ts AbortReason). */
    private readonly handle: (job: Job, signal: AbortSignal) => Promise<void>,
    private readonly options: JobWorkerOptions,
    /** A job that kept failing (or kept killing its process) is dropped: record its task as failed. */
    private readonly giveUp: (job: Job) => Promise<void> = async () => {},
  ) {
    this.now = options.now ?? Date.now;
    this.self = { id: this.owner, ...(options.identity ?? thisProcess()), heartbeatAt: this.now() };
    this.timing = heartbeatTiming(options.leaseMs);
    this.lastBeatAt = this.now();
  }

  /**
   * Registers this worker, takes over at once the jobs of workers known to be dead (a process killed
   * and restarted resumes its answers now, not when their leases expire), and starts working. The
   * heartbeat keeps this worker's row fresh and, on each beat, looks for workers that died since.
   */
  async start(): Promise<void> {
    await this.beat();
    this.beatTimer = setInterval(() => void this.beat(), this.timing.heartbeatMs);
    this.beatTimer.unref();
    await this.pump();
  }

  /** After a stop: this worker's row goes, so no one waits on it or mistakes it for a dead one. */
  async close(): Promise<void> {
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.beatTimer = undefined;
    try {
      await this.queue.unregister(this.owner);
    } catch (error) {
      this.options.logger.warn('could not unregister the job worker', { error: errorSummary(error) });
    }
  }

  /**
   * Stop pressed on a task: its running job is aborted here, or — when another process runs it — the
   * stop is recorded on the job and that process aborts it on its next heartbeat. False when no job
   * of the task is running anywhere.
   */
  async stopTask(teamId: string, taskId: number, userId: string): Promise<boolean> {
    const running = this.controllers.get(taskId);
    if (running && running.teamId === teamId) {
      running.controller.abort({ kind: 'stopped', byUserId: userId } satisfies AbortReason);
      return true;
    }
    return await this.queue.requestStop(teamId, taskId, userId);
  }

  private async beat(): Promise<void> {
    try {
      const now = this.now();
      await this.queue.heartbeat(this.self, now);
      this.lastBeatAt = now;
      const reclaimed = await takeOverDeadWorkers(this.queue, this.self, now, {
        staleMs: this.timing.staleMs,
        pidRuns: this.options.pidRuns ?? pidRuns,
        logger: this.options.logger,
      });
      if (reclaimed > 0) this.kick();
      // Stops pressed on another instance for jobs that run here.
      for (const stop of await this.queue.stopRequests(this.owner)) {
        this.controllers
          .get(stop.taskId)
          ?.controller.abort({ kind: 'stopped', byUserId: stop.userId } satisfies AbortReason);
      }
    } catch (error) {
      this.options.logger.warn('could not record the worker heartbeat', { error: errorSummary(error) });
    }
    this.abortJobsNoLongerOurs();
  }

  /**
   * A job is surely ours only while our heartbeat and its lease are fresh, with a margin:
   * past that another worker may (by its clock) take it over, so it must stop writing first.
   */
  private stillOurs(renewedAt: number): boolean {
    const now = this.now();
    // Half a beat: enough for a timer that fires a little late, short against the threshold.
    const margin = this.timing.heartbeatMs / 2;
    return (
      now - this.lastBeatAt < this.timing.staleMs - margin && now - renewedAt < this.options.leaseMs - margin
    );
  }

  private readonly renewedAt = new Map<AbortController, number>();

  private abortJobsNoLongerOurs(): void {
    for (const { controller } of this.controllers.values()) this.abortIfNotOurs(controller);
  }

  private abortIfNotOurs(controller: AbortController): void {
    if (controller.signal.aborted) return;
    if (this.stillOurs(this.renewedAt.get(controller) ?? this.now())) return;
    this.options.logger.warn('the worker heartbeat or job lease is too old; aborting the job');
    controller.abort({ kind: 'lease_lost' } satisfies AbortReason);
  }

  /** New work was queued: look now. */
  kick(): void {
    // A burst of new tasks (each acked first) needs one look at the queue, not one per task.
    if (this.stopped || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.pump();
    });
  }

  /** Claims nothing more; running jobs go on (their leases keep them ours until they end). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  stopTaking(): void {
    this.stop();
  }

  /** Past a stop's grace period: running jobs go back to the queue, their handlers end, the row goes. */
  async releaseAndClose(): Promise<number> {
    const released = await this.releaseUnfinished();
    // The database closes only once the aborted handlers returned.
    await this.settle(5_000);
    await this.close();
    return released;
  }

  /**
   * After the grace period of a stop: jobs still running are handed back to the queue, so the next
   * start takes them at once instead of waiting for their leases to expire.
   */
  async releaseUnfinished(): Promise<number> {
    if (this.running.size === 0) return 0;
    // Aborted first, so no handler writes to Slack (e.g. a failure note) once its job is handed back.
    for (const { controller } of this.controllers.values()) controller.abort({ kind: 'shutdown' });
    return await this.queue.releaseAll(this.owner);
  }

  /** Waits (at most `ms`) for the running handlers to return, e.g. before the database closes. */
  async settle(ms: number): Promise<void> {
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
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
      const wake = await this.queue.nextWakeAt();
      if (this.stopped || wake === undefined) return;
      if (wake > Date.now())
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, wake - Date.now())));
      await this.pump();
      // Nothing could be claimed (e.g. another process holds the task): never spin without yielding.
      if (this.running.size === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get activeCount(): number {
    return this.running.size;
  }

  /** One pump at a time; a pump asked for while one runs runs once more after it (it may have missed work). */
  private pump(): Promise<void> {
    // biome-ignore lint/nursery/noMisusedPromises: the pump under way or none (undefined), not a value to await
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.pumpAgain = false;
          await this.claimWhileFree();
        } while (this.pumpAgain);
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  private async claimWhileFree(): Promise<void> {
    if (this.stopped) return;
    while (this.running.size < this.options.concurrency) {
      let job: Job | undefined;
      try {
        job = await this.queue.claim(this.owner, this.options.leaseMs);
      } catch (error) {
        this.options.logger.error('could not claim a job', { error: errorSummary(error) });
      }
      if (!job) break;
      if (job.attempts > MAX_ATTEMPTS) this.drop(job);
      else this.run(job);
    }
    await this.scheduleWake();
  }

  private async scheduleWake(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const next = await this.queue.nextWakeAt();
    const wait =
      next === undefined
        ? this.options.pollMs
        : Math.min(this.options.pollMs, Math.max(10, next - Date.now()));
    this.timer = setTimeout(() => void this.pump(), wait);
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
        this.options.logger.error('could not fail a dropped job', { error: errorSummary(error) }),
      )
      .then(async () => {
        try {
          await this.queue.complete(job.id, this.owner);
        } catch (error) {
          this.options.logger.error('could not remove a dropped job', { error: errorSummary(error) });
        }
      })
      .finally(() => {
        this.running.delete(done);
      });
    this.running.add(done);
  }

  private run(job: Job): void {
    const log = this.options.logger.child({ jobId: job.id, teamId: job.teamId, taskId: job.taskId });
    const controller = new AbortController();
    this.controllers.set(job.taskId, { teamId: job.teamId, controller });
    this.renewedAt.set(controller, this.now());
    // Before each Slack call, too: a stalled event loop may resume the job before any timer fires.
    checkBeforeSlackCalls(controller.signal, () => this.abortIfNotOurs(controller));
    const heartbeat = this.keepLease(job, controller, log);
    const done = this.handle(job, controller.signal)
      .then(async () => {
        // An aborted job is no longer ours to complete (lease lost, or handed back at shutdown);
        // a job stopped by the Stop button ended its task itself and is done.
        const reason = abortReason(controller.signal);
        if (!reason || reason.kind === 'stopped') await this.queue.complete(job.id, this.owner);
      })
      .catch((error: unknown) => this.afterFailure(job, controller.signal, log, error))
      .finally(() => {
        clearInterval(heartbeat);
        this.renewedAt.delete(controller);
        if (this.controllers.get(job.taskId)?.controller === controller) this.controllers.delete(job.taskId);
        this.running.delete(done);
        void this.pump();
      });
    this.running.add(done);
  }

  /**
   * Renews the job's lease a few times per lease. A lease lost (another worker took the job over), or
   * one that would expire before the next renewal attempt because renewing keeps failing, is (or is
   * about to be) someone else's: abort, so this run writes nothing more beside the new one.
   */
  private keepLease(job: Job, controller: AbortController, log: Logger): NodeJS.Timeout {
    const renewEveryMs = this.options.leaseMs / 3;
    const heartbeat = setInterval(
      () => void this.renewLease(job, controller, log, renewEveryMs),
      renewEveryMs,
    );
    heartbeat.unref();
    return heartbeat;
  }

  private async renewLease(job: Job, controller: AbortController, log: Logger, renewEveryMs: number) {
    const renewedAt = this.renewedAt.get(controller) ?? this.now();
    try {
      if (await this.queue.renew(job.id, this.owner, this.options.leaseMs))
        this.renewedAt.set(controller, this.now());
      else {
        log.warn('lost the lease on a job; aborting it');
        controller.abort({ kind: 'lease_lost' });
      }
    } catch (error) {
      log.warn('could not renew a job lease', { error: errorSummary(error) });
      if (this.now() + renewEveryMs >= renewedAt + this.options.leaseMs) {
        log.warn('the job lease runs out before it can be renewed; aborting the job');
        controller.abort({ kind: 'lease_lost' });
      }
    }
  }

  /** The handler threw: an aborted job is left alone (or, stopped, removed); anything else is retried. */
  private async afterFailure(job: Job, signal: AbortSignal, log: Logger, error: unknown): Promise<void> {
    // A Stop does not explain every error: pings failing after a finished answer (which a late
    // Stop lets go out) are retried like any failure.
    const stoppedOnly = abortReason(signal)?.kind === 'stopped';
    if (error instanceof JobAbortedError || (signal.aborted && !stoppedOnly)) {
      const reason = abortReason(signal);
      log.info('job aborted', { reason: reason?.kind });
      try {
        if (reason?.kind === 'stopped') await this.queue.complete(job.id, this.owner);
      } catch (storeError) {
        log.error('could not remove a stopped job', { error: errorSummary(storeError) });
      }
      return;
    }
    log.error('job failed', { attempts: job.attempts, error: errorSummary(error) });
    try {
      if (job.attempts >= MAX_ATTEMPTS) this.drop(job);
      else
        await this.queue.retryAt(
          job.id,
          this.owner,
          Date.now() + retryDelayMs(job.attempts),
          errorSummary(error),
        );
    } catch (storeError) {
      log.error('could not reschedule a job', { error: errorSummary(storeError) });
    }
  }
}
