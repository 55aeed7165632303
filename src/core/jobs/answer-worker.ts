/**
 * What runs the answer queue in this process, whichever store holds it: the SQLite JobWorker (leases
 * on our own queue) or, on PostgreSQL, graphile-worker with our liveness rules (store/postgres).
 */
export interface AnswerWorker {
  /** Takes over the jobs of processes known to be dead, then starts working the queue. */
  start(): Promise<void>;
  /** Work was just queued: look at the queue now (a no-op where the queue wakes its workers itself). */
  kick(): void;
  /** Stop pressed: aborts the task's running answer, here or in another process. False when none runs. */
  stopTask(teamId: string, taskId: number, userId: string): Promise<boolean>;
  /** Resolves when this process runs nothing and nothing is left queued (tests and benchmarks). */
  idle(): Promise<void>;
  /** Answers running in this process now. */
  readonly activeCount: number;
  /** The start of a stop: no new job is taken; running answers go on. */
  stopTaking(): void;
  /**
   * The end of a stop: answers still running are aborted (they write nothing more) and handed back to
   * the queue for the next start or another process; this worker's records go. Returns how many.
   */
  releaseAndClose(): Promise<number>;
}
