import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { and, eq, lt, ne, sql } from 'drizzle-orm';
import type { Runner, WorkerEvents } from 'graphile-worker';
import type pg from 'pg';
import { type AbortReason, errorSummary } from '../../core/errors.js';
import { checkBeforeSlackCalls } from '../../core/jobs/abortable-slack.js';
import type { AnswerWorker } from '../../core/jobs/answer-worker.js';
import type { Job } from '../../core/jobs/jobs.js';
import { workerLiveness } from '../../core/jobs/worker-liveness.js';
import {
  heartbeatTiming,
  pidRuns,
  thisProcess,
  type WorkerIdentity,
} from '../../core/jobs/worker-process.js';
import type { Logger } from '../../core/logger.js';
import { handBack, settleRun } from './answer-hand-back.js';
import { startAnswerQueue, taskQueueName } from './answer-queue.js';
import type { PgDb } from './db.js';
import { answerQueueWorkers, answerStops, workers } from './schema.js';

export interface AnswerWorkerOptions {
  pool: pg.Pool;
  /** Answers running at once in this process (MAX_CONCURRENT_GENERATIONS). */
  concurrency: number;
  /** How long a silent process keeps its answers: past it, another process takes them over. */
  leaseMs: number;
  handle(job: Job, signal: AbortSignal): Promise<void>;
  giveUp(job: Job): Promise<void>;
  /** Jobs queued or running anywhere (idle() waits for none). */
  pending?(): Promise<number>;
  /** graphile-worker stopped by itself (e.g. it could not record a job's end through a failover). */
  onFatal?(error: Error): void;
  logger: Logger;
  identity?: WorkerIdentity;
  pidRuns?: (pid: number) => boolean;
  now?: () => number;
}

/**
 * The answer queue's worker on PostgreSQL: graphile-worker runs the jobs; this adds what graphile-worker
 * 0.17 leaves to us, the same rules as the SQLite JobWorker:
 * - Liveness. graphile-worker frees a dead worker's jobs only after four hours. Each process beats in
 *   `workers` and records its graphile workers' ids; a process found dead (its pid gone, on this host)
 *   or silent for longer than the lease has its jobs unlocked at once (`force_unlock_workers`), and
 *   another instance answers them.
 * - Fencing. A process that could not beat for nearly the lease aborts its own answers first, so an
 *   answer taken over never has two writers.
 * - Stop from anywhere. Stop pressed on one instance for an answer running on another is recorded in
 *   `answer_stops`; the running process aborts it on its next beat.
 */
export class PostgresAnswerWorker implements AnswerWorker {
  readonly id = `worker-${randomUUID()}`;
  private runner: Runner | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  private readonly running = new Map<string, AbortController>();
  private readonly timing: { heartbeatMs: number; staleMs: number };
  private readonly identity: WorkerIdentity;
  private readonly now: () => number;
  private lastBeatAt: number;
  /** Our `workers` row was written once: finding it gone later means we were taken over. */
  private registered = false;
  /** The beat under way, if any (a stop waits for it before removing this process's rows). */
  private beatInFlight: Promise<void> | undefined;
  /** The graphile pool ids this process locks jobs under. */
  private readonly queueIds: string[] = [];
  /** Aborts this process's answers if no beat succeeds in time (armed after each successful beat). */
  private fence: NodeJS.Timeout | undefined;
  /** The handlers running now (idle() and a stop wait for them). */
  private readonly handlers = new Set<Promise<void>>();
  /** graphile-worker's graceful shutdown, once a stop began: it takes no more jobs. */
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly db: PgDb,
    private readonly options: AnswerWorkerOptions,
  ) {
    this.timing = heartbeatTiming(options.leaseMs);
    this.identity = options.identity ?? thisProcess();
    this.now = options.now ?? Date.now;
    this.lastBeatAt = this.now();
  }

  async start(): Promise<void> {
    await this.beat();
    const events = new EventEmitter() as WorkerEvents;
    const recorded: Promise<unknown>[] = [];
    // Jobs are locked under the pool's id (it fetches for its workers): recorded as soon as the pool
    // exists, before it takes a job, and again whenever this process registers anew.
    events.on('pool:create', ({ workerPool }) => {
      this.queueIds.push(workerPool.id);
      recorded.push(this.recordQueueIds());
    });
    this.runner = await startAnswerQueue({
      pool: this.options.pool,
      concurrency: this.options.concurrency,
      handle: (job, signal) => this.run(job, signal),
      // Tracked like an answer: idle() and a stop wait for its failure note.
      giveUp: (job) => this.track(this.options.giveUp(job)),
      logger: this.options.logger,
      events,
      // Our stop decides when running answers are cut short (the app's grace period), not graphile's 5 s.
      shutdownAbortMs: 24 * 60 * 60_000,
    });
    try {
      await Promise.all(recorded);
    } catch (error) {
      this.stopTaking();
      await this.stopping;
      throw error;
    }
    // Outside a stop, a runner that ends has stopped taking answers while this process still beats:
    // no other instance would take over, so the process must go (the app exits; see app.ts).
    this.runner.promise.then(
      () => this.runnerEnded(new Error('the answer queue stopped by itself')),
      (error: unknown) => this.runnerEnded(error instanceof Error ? error : new Error(String(error))),
    );
    this.beatTimer = setInterval(() => {
      // A beat slower than the interval (a busy database) is not overlapped by the next.
      if (this.beatInFlight !== undefined) return;
      this.beatInFlight = this.beat().finally(() => {
        this.beatInFlight = undefined;
      });
    }, this.timing.heartbeatMs);
    this.beatTimer.unref();
  }

  private runnerEnded(error: Error): void {
    if (this.stopping !== undefined) return;
    this.options.logger.error('the answer queue stopped by itself', { error: errorSummary(error) });
    this.options.onFatal?.(error);
  }

  /** A handler or a give-up, counted for idle() and a stop. */
  private track(work: Promise<void>): Promise<void> {
    this.handlers.add(work);
    void work.catch(() => {}).finally(() => this.handlers.delete(work));
    return work;
  }

  private recordQueueIds(): Promise<unknown> {
    const rows = this.queueIds.map((workerId) => ({ workerId, processId: this.id }));
    return rows.length === 0
      ? Promise.resolve()
      : this.db.insert(answerQueueWorkers).values(rows).onConflictDoNothing().execute();
  }

  /** New jobs start by LISTEN/NOTIFY on every instance: nothing to wake here. */
  kick(): void {}

  /** Answers running in this process. */
  get activeCount(): number {
    return this.handlers.size;
  }

  /**
   * Resolves when this process runs no answer and, unless it is stopping, no job is queued or running
   * anywhere (a retry's backoff is waited out). Tests and benchmarks wait on it.
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.handlers.size > 0) {
        await Promise.allSettled([...this.handlers]);
        continue;
      }
      if (this.stopping !== undefined || !this.options.pending || (await this.options.pending()) === 0)
        return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Takes no more jobs; answers running now go on (beating) until they end or releaseAndClose(). */
  stopTaking(): void {
    // A runner that already ended by itself rejects a stop: nothing more to wait for.
    this.stopping ??= (this.runner?.stop() ?? Promise.resolve()).catch(() => {});
  }

  /**
   * The end of a stop: answers still running are aborted (they write nothing more) and their jobs go
   * back to the queue for the other instances or the next start; then this process's rows go.
   * Returns how many answers were cut short.
   */
  async releaseAndClose(): Promise<number> {
    this.stopTaking();
    const unfinished = this.handlers.size;
    for (const controller of this.running.values())
      controller.abort({ kind: 'shutdown' } satisfies AbortReason);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
    await Promise.race([this.stopping, timeout]);
    // No beat after this point: one in flight would find our row gone and write it again.
    if (this.beatTimer) clearInterval(this.beatTimer);
    await this.beatInFlight;
    if (this.fence) clearTimeout(this.fence);
    try {
      // Whatever the shutdown did not release is freed for the other instances at once.
      await this.forget(this.id, true);
    } catch (error) {
      // Our row stays: others take over what it holds once its beat is stale.
      this.options.logger.warn('could not remove this answer worker on stopping', {
        error: errorSummary(error),
      });
    }
    return unfinished;
  }

  /** Graceful stop: running answers may finish for `graceMs`, then are handed back. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopTaking();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.handlers]), grace]);
    await this.releaseAndClose();
  }

  /** Stop pressed: aborted here, or recorded for the process that runs it. False when it runs nowhere. */
  async stopTask(teamId: string, taskId: number, userId: string): Promise<boolean> {
    const local = this.running.get(taskQueueName(teamId, taskId));
    if (local) {
      local.abort({ kind: 'stopped', byUserId: userId } satisfies AbortReason);
      return true;
    }
    const runningElsewhere = await this.db.execute<{ found: boolean }>(sql`
      select exists (select 1 from graphile_worker.jobs
        where queue_name = ${taskQueueName(teamId, taskId)} and locked_at is not null) as found`);
    if (!runningElsewhere.rows[0]?.found) return false;
    await this.db
      .insert(answerStops)
      .values({ teamId, taskId, userId })
      .onConflictDoUpdate({ target: [answerStops.teamId, answerStops.taskId], set: { userId } });
    return true;
  }

  private run(job: Job, queueSignal: AbortSignal): Promise<void> {
    return this.track(this.runTracked(job, queueSignal));
  }

  private async runTracked(job: Job, queueSignal: AbortSignal): Promise<void> {
    const key = taskQueueName(job.teamId, job.taskId);
    const controller = new AbortController();
    const onQueueAbort = () => controller.abort({ kind: 'shutdown' } satisfies AbortReason);
    queueSignal.addEventListener('abort', onQueueAbort, { once: true });
    this.running.set(key, controller);
    // Before each Slack call too: a stalled event loop may resume the answer before the fence fires.
    checkBeforeSlackCalls(controller.signal, () => {
      if (this.now() - this.lastBeatAt >= this.fenceAfterMs)
        controller.abort({ kind: 'lease_lost' } satisfies AbortReason);
    });
    const startedAt = this.now();
    try {
      // A Stop meant for an earlier run of this task (it ended before its process saw the Stop) is void;
      // one pressed after this run began is kept.
      await this.db
        .delete(answerStops)
        .where(
          and(
            eq(answerStops.teamId, job.teamId),
            eq(answerStops.taskId, job.taskId),
            lt(answerStops.requestedAt, startedAt - this.timing.heartbeatMs),
          ),
        );
      await settleRun(this.options.handle(job, controller.signal), controller.signal, () =>
        handBack(this.db, job.id, this.queueIds, this.options.logger),
      );
    } finally {
      queueSignal.removeEventListener('abort', onQueueAbort);
      if (this.running.get(key) === controller) this.running.delete(key);
    }
  }

  /** Beats, fences itself if it could not beat for too long, takes over the dead, and applies stops. */
  private async beat(): Promise<void> {
    const startedAt = this.now();
    try {
      // The database's clock, not this host's: every instance compares beats on the same clock.
      const dbNow = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
      let [beaten] = await this.db
        .update(workers)
        .set({ heartbeatAt: dbNow })
        .where(eq(workers.id, this.id))
        .returning({ at: workers.heartbeatAt });
      if (!beaten) {
        // Our row is gone after we registered: another process judged us dead and took our answers.
        if (this.registered) this.abortAll('lease_lost');
        [beaten] = await this.db
          .insert(workers)
          .values({ id: this.id, ...this.identity, heartbeatAt: dbNow })
          .returning({ at: workers.heartbeatAt });
        await this.recordQueueIds();
        this.registered = true;
      }
      // The fence counts on this host's clock from before the beat was written: it fires before any
      // other instance, reading the database's clock, can count this beat as stale.
      this.lastBeatAt = startedAt;
      this.armFence();
      await this.takeOverDeadProcesses(beaten?.at ?? startedAt);
      await this.applyStops();
    } catch (error) {
      this.options.logger.warn('could not record the answer worker heartbeat', {
        error: errorSummary(error),
      });
    }
  }

  /**
   * Others may take this process's answers once its heartbeat is `staleMs` old: unless a beat
   * succeeds before then, they are aborted half a beat earlier, whatever a stuck beat is doing.
   */
  private get fenceAfterMs(): number {
    return this.timing.staleMs - this.timing.heartbeatMs / 2;
  }

  /** Counted from when the beat began (a slow write must not push the fence past others' judgement). */
  private armFence(): void {
    if (this.fence) clearTimeout(this.fence);
    const left = Math.max(0, this.lastBeatAt + this.fenceAfterMs - this.now());
    this.fence = setTimeout(() => this.abortAll('lease_lost'), left);
    this.fence.unref();
  }

  private abortAll(kind: 'lease_lost'): void {
    for (const controller of this.running.values()) controller.abort({ kind } satisfies AbortReason);
  }

  private async takeOverDeadProcesses(now: number): Promise<void> {
    const others = await this.db.select().from(workers).where(ne(workers.id, this.id));
    for (const other of others) {
      const liveness = workerLiveness(
        other,
        this.identity,
        now,
        this.timing.staleMs,
        this.options.pidRuns ?? pidRuns,
      );
      // Dead (its pid gone, here), or silent for `staleMs` on the database's clock (another host, a
      // frozen process): its own fence stopped its answers half a beat before that.
      if (liveness === 'alive') continue;
      const unlocked = await this.forget(other.id, true);
      this.options.logger.info('took over the answers of a bot process that died or went silent', {
        worker: other.id,
        host: other.host,
        pid: other.pid,
        liveness,
        queueWorkers: unlocked,
      });
    }
  }

  /** A process's rows go; with `unlock`, the jobs its graphile workers hold are freed for others. */
  private forget(processId: string, unlock = false): Promise<number> {
    return this.db.transaction(async (tx) => {
      const owned = await tx
        .delete(answerQueueWorkers)
        .where(eq(answerQueueWorkers.processId, processId))
        .returning({ workerId: answerQueueWorkers.workerId });
      const ids = owned.map((row) => row.workerId);
      if (unlock && ids.length > 0) {
        const list = sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        );
        await tx.execute(sql`select graphile_worker.force_unlock_workers(array[${list}]::text[])`);
      }
      await tx.delete(workers).where(eq(workers.id, processId));
      return ids.length;
    });
  }

  private async applyStops(): Promise<void> {
    if (this.running.size === 0) return;
    const keys = [...this.running.keys()];
    const stops = await this.db.select().from(answerStops);
    for (const stop of stops) {
      const key = taskQueueName(stop.teamId, stop.taskId);
      if (!keys.includes(key)) continue;
      this.running.get(key)?.abort({ kind: 'stopped', byUserId: stop.userId } satisfies AbortReason);
      await this.db
        .delete(answerStops)
        .where(and(eq(answerStops.teamId, stop.teamId), eq(answerStops.taskId, stop.taskId)));
    }
  }
}
