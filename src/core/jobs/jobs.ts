import type { QueueStats } from '../metrics.js';

/**
 * The durable queue behind every answer. A job says "bring this task's thread up to date": post the
 * parent of a command, write the first turn, answer the stored conversation if its last word is a
 * human's, announce collaboration requests. Each step checks the stored state first, so running a job
 * twice (after a crash, or a duplicate) never answers twice.
 */
export interface Job {
  id: number;
  teamId: string;
  taskId: number;
  /** Facts the job needs that the task does not hold (see JobPayload). */
  payload: JobPayload;
  attempts: number;
  /** When it became ready to run (ms since the epoch), where the queue says: its start delay is measured from here. */
  readyAt?: number;
}

export interface JobPayload {
  /** Slash commands: where to tell the requester privately if the task cannot be posted. */
  responseUrl?: string;
  /** Mentions inside someone else's thread: the mention's ts, so that thread is read for context. */
  contextFromThreadOf?: string;
}

/**
 * What the use cases and the operator see of the queue, whichever store holds it (SQLite's own queue
 * below, or graphile-worker on PostgreSQL).
 */
export interface AnswerQueue {
  /** Queues the task's job unless one is already waiting (one waiting job covers every new reply). */
  enqueue(teamId: string, taskId: number, payload?: JobPayload): Promise<void>;
  /** Jobs queued or running (for health and tests). */
  pendingCount(): Promise<number>;
  /** Jobs by state and the age of the oldest ready one, read when /metrics is scraped. */
  stats(now?: number): Promise<QueueStats>;
}

/** The SQLite queue: the answer queue plus the leases, heartbeats and stops its JobWorker runs on. */
export interface JobQueue extends AnswerQueue {
  /**
   * Atomically takes the next due job, or one whose lease expired (its process died), never a task
   * that has a job running elsewhere. The lease must be renewed while the job runs.
   */
  claim(owner: string, leaseMs: number, now?: number): Promise<Job | undefined>;
  /** False when the lease was lost (another worker took the job over). */
  renew(jobId: number, owner: string, leaseMs: number): Promise<boolean>;
  complete(jobId: number, owner: string): Promise<void>;
  /** Runs the job again later (its handler threw). */
  retryAt(jobId: number, owner: string, runAt: number, error: string): Promise<void>;
  /** Hands back every job this owner still holds (a stop after its grace period): queued again at once. */
  releaseAll(owner: string): Promise<number>;
  /** When the next job becomes claimable (a run time or a lease expiry), if any. */
  nextWakeAt(): Promise<number | undefined>;
  /** Records (or refreshes) this process's row: who holds leases, where, and that it still lives. */
  heartbeat(worker: WorkerProcess, now?: number): Promise<void>;
  /** Every other worker's row. */
  otherWorkers(id: string): Promise<WorkerProcess[]>;
  /**
   * The worker is known to be dead: its running jobs are queued again at once (not when their leases
   * expire) and its row goes. Returns the number of jobs handed back.
   */
  reclaimFrom(id: string): Promise<number>;
  /**
   * The worker's heartbeat is stale but it may still run: only its jobs whose lease expired before
   * `now` are queued again; its row goes once it holds no running job. Returns the jobs handed back.
   */
  reclaimExpiredFrom(id: string, now?: number): Promise<number>;
  /** A clean stop: this worker's row goes (its jobs were finished or released before). */
  unregister(id: string): Promise<void>;
  /**
   * Stop pressed on a task whose job runs in another process: recorded on the running job, which its
   * worker aborts on its next heartbeat. False when no job of the task is running.
   */
  requestStop(teamId: string, taskId: number, userId: string): Promise<boolean>;
  /** Stops requested on this owner's running jobs. */
  stopRequests(owner: string): Promise<{ taskId: number; userId: string }[]>;
}

/** A job worker's process, as recorded beside the jobs it holds (see core/worker-liveness.ts). */
export interface WorkerProcess {
  /** The lease owner string of its jobs. */
  id: string;
  host: string;
  pid: number;
  /** When its OS process started (ms since the epoch): tells a reused pid from the same process. */
  processStartedAt: number;
  /** Its pid namespace (`readlink /proc/self/ns/pid`), null where unknown: pids compare only within one. */
  pidNamespace: string | null;
  /** Its host's boot (`/proc/sys/kernel/random/boot_id`), null where unknown. */
  bootId: string | null;
  heartbeatAt: number;
}
