import type { AppTuning } from '../app.js';
import type { Config } from '../config.js';
import type { ArtifactStore } from '../core/artifacts/artifact-store.js';
import type { AssistantThreadStore } from '../core/assistant/assistant-threads.js';
import type { CollaborationStore } from '../core/collaboration/collaboration-store.js';
import type { ChannelSourceStore } from '../core/data-sources/channel-sources.js';
import type { DataToolAuditStore } from '../core/data-sources/data-tool-audit.js';
import type { TeamContextStore } from '../core/data-sources/team-context.js';
import type { DigestStore } from '../core/digest/digest-facts.js';
import type { FeedbackStore } from '../core/feedback/feedback.js';
import type { ThreadFileStore } from '../core/files/thread-files.js';
import type { HomeStore } from '../core/home/home.js';
import type { InstallationStore, WorkspaceDataPurge } from '../core/installations/installation-store.js';
import type { AnswerWorker } from '../core/jobs/answer-worker.js';
import type { AnswerQueue, Job } from '../core/jobs/jobs.js';
import type { UsageLimits } from '../core/limits/limits.js';
import type { Logger } from '../core/logger.js';
import type { AnswerStepStore } from '../core/post-answer/run-steps.js';
import type { QualityCheckStore } from '../core/quality-monitor/check-store.js';
import type { RetentionStore } from '../core/retention/retention-store.js';
import type { TaskAdmission } from '../core/tasks/task-admission.js';
import type { TaskStore } from '../core/tasks/task-store.js';
import type { TokenCipher } from '../security/token-cipher.js';

/** Every store the use cases read and write, by its port: the same for SQLite and PostgreSQL. */
export interface Stores {
  jobs: AnswerQueue;
  store: TaskStore;
  admission: TaskAdmission;
  retention: RetentionStore;
  collaboration: CollaborationStore;
  digests: DigestStore;
  home: HomeStore;
  answerSteps: AnswerStepStore;
  artifacts: ArtifactStore;
  feedback: FeedbackStore;
  assistantThreads: AssistantThreadStore;
  threadFiles: ThreadFileStore;
  limits: UsageLimits;
  qualityChecks: QualityCheckStore;
  channelSources: ChannelSourceStore;
  dataAudit: DataToolAuditStore;
  teamContexts: TeamContextStore;
}

/** How the answer worker runs a job and gives one up (its Slack calls in the job's workspace). */
export interface AnswerHandlers {
  handle(job: Job, signal: AbortSignal): Promise<void>;
  giveUp(job: Job): Promise<void>;
}

export interface AnswerWorkerSettings {
  /** Answers running at once in this process (MAX_CONCURRENT_GENERATIONS). */
  concurrency: number;
  /** How long a silent process keeps its answers before another takes them (JOB_LEASE_SECONDS). */
  leaseMs: number;
  logger: Logger;
}

/** The install store with its key rotation (OAuth install). */
export type Installations = InstallationStore & { resealUnderCurrentKey(): Promise<number> };

/**
 * One open database and everything built on it: SQLite (DATABASE_PATH, the default) or PostgreSQL
 * (DATABASE_URL, for several instances). The composition root picks one; nothing else knows which.
 */
export interface StoreBackend {
  readonly engine: 'sqlite' | 'postgres';
  stores: Stores;
  /** The OAuth install's token store (sealed by `cipher`) and what an uninstall deletes. */
  installations(cipher: TokenCipher): { store: Installations; purge: WorkspaceDataPurge };
  /** What runs the answer queue in this process. */
  answerWorker(handlers: AnswerHandlers, settings: AnswerWorkerSettings): AnswerWorker;
  close(): Promise<void>;
}

/** Opens (and migrates) the configured database: PostgreSQL when DATABASE_URL is set, else SQLite. */
export async function openStoreBackend(
  config: Config,
  tuning: AppTuning,
  logger: Logger,
): Promise<StoreBackend> {
  if (config.database.engine === 'postgres') {
    const { openPostgresBackend } = await import('./postgres-backend.js');
    return openPostgresBackend(config.database, config, logger);
  }
  const { openSqliteBackend } = await import('./sqlite-backend.js');
  return openSqliteBackend(config.database.path, config, tuning, logger);
}
