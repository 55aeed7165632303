import type { AppTuning } from '../app.js';
import type { Config } from '../config.js';
import { DigestScheduler } from '../core/digest/digest-scheduler.js';
import type { AnswerWorker } from '../core/jobs/answer-worker.js';
import type { Job } from '../core/jobs/jobs.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { CheckScheduler } from '../core/quality-monitor/check-scheduler.js';
import { RetentionSchedule } from '../core/retention/retention.js';
import { giveUpOnTask, runTaskJob } from '../core/tasks/task-job.js';
import type { Services } from './services.js';
import type { StoreBackend } from './stores.js';
import { WorkspaceDigestSchedulers } from './team-digests.js';

/**
 * The work that runs besides Slack's requests: the job worker (answers), retention pruning and the
 * digest scheduler. Built before the Slack app (whose listeners queue jobs and reconfigure digests),
 * started after it.
 */
export interface BackgroundWork {
  worker: AnswerWorker;
  retention: RetentionSchedule;
  /**
   * Undefined when the tuning turns digests off (tests that do not test them). With the OAuth install,
   * one scheduler per installed workspace.
   */
  scheduler: DigestScheduler | WorkspaceDigestSchedulers | undefined;
  /** Runs adopted data-quality checks on their schedules. */
  checks: CheckScheduler;
}

export function buildBackgroundWork(
  config: Config,
  logger: Logger,
  tuning: AppTuning,
  services: Services,
  /** The database the answer queue is on (its worker differs by engine). */
  backend: StoreBackend,
  /** The one workspace (SLACK_BOT_TOKEN); undefined with the OAuth install. */
  teamId: string | undefined,
  installedTeams: () => Promise<string[]>,
  /** The answer worker stopped by itself: the app reports it (main exits so a supervisor restarts it). */
  onFatal: (error: Error) => void,
): BackgroundWork {
  const { workspaces } = services;
  const worker = backend.answerWorker(
    {
      // A job is its task's workspace's work: every Slack call in it uses that workspace's token.
      handle: (job, signal) => {
        countStart(services.metrics, job);
        return workspaces.run(job.teamId, () => runTaskJob(services, job, signal));
      },
      giveUp: (job) => workspaces.run(job.teamId, () => giveUpOnTask(services, job)),
    },
    {
      concurrency: config.maxConcurrentGenerations,
      leaseMs: config.jobLeaseMs,
      logger: logger.child({ component: 'jobs' }),
      onFatal,
    },
  );
  const track = (name: string, work: Promise<void>) => services.runner.track(name, work);
  const scheduler = !(tuning.digestScheduler ?? true)
    ? undefined
    : teamId !== undefined
      ? new DigestScheduler(services, teamId, track)
      : new WorkspaceDigestSchedulers(services, workspaces, installedTeams, track, tuning.installSyncMs);
  // Its clock is services.checkClock (tuning.checkScheduler.now in tests).
  const checks = new CheckScheduler(services, {
    ...(tuning.checkScheduler?.tickMs ? { tickMs: tuning.checkScheduler.tickMs } : {}),
    track: (name, work) => services.runner.track(name, work),
  });
  return { worker, retention: new RetentionSchedule(services, config.retentionDays), scheduler, checks };
}

/** A job's first start: how long it waited in the queue (a retry or a takeover is not a wait in the queue). */
function countStart(metrics: Metrics, job: Job): void {
  if (job.attempts === 1 && job.readyAt !== undefined) metrics.jobStarted((Date.now() - job.readyAt) / 1000);
}

export async function startBackgroundWork({
  worker,
  retention,
  scheduler,
  checks,
}: BackgroundWork): Promise<void> {
  // Work left queued by a previous run (or cut short by a crash, once its lease expires) starts now.
  await worker.start();
  // Stored conversations and deliveries older than RETENTION_DAYS: pruned now, then daily.
  await retention.start();
  await scheduler?.start();
  // Adopted checks: slots missed while the bot was down run once now, then every tick.
  checks.start();
}

/** Listeners and jobs feed each other (listeners queue jobs, jobs post what listeners react to). */
export async function untilIdle(runner: Services['runner'], worker: AnswerWorker): Promise<void> {
  do {
    await runner.idle();
    await worker.idle();
  } while (runner.size > 0 || worker.activeCount > 0);
}

/**
 * Stops taking work, lets answers in progress finish within `graceMs`, then hands what is still
 * running back to the queue (aborted: it writes nothing more, so no false failure note).
 */
export async function drainBackgroundWork(
  { worker, retention, scheduler, checks }: BackgroundWork,
  runner: Services['runner'],
  graceMs: number,
  logger: Logger,
): Promise<void> {
  scheduler?.stop();
  checks.stop();
  retention.stop();
  worker.stopTaking();
  const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
  // Answers in progress may finish within the grace period; queued jobs wait for the next start.
  await Promise.race([Promise.all([runner.idle(), worker.idle()]), grace]);
  // Past the grace period: running jobs are aborted and handed back to the queue; the database closes
  // only once their handlers returned.
  const released = await worker.releaseAndClose();
  if (released > 0) logger.info('left unfinished answers queued for the next start', { jobs: released });
}
