import type { AppTuning } from '../app.js';
import type { Config } from '../config.js';
import { JobWorker } from '../core/jobs/job-worker.js';
import { UsageLimits } from '../core/limits/limits.js';
import type { Logger } from '../core/logger.js';
import type { TokenCipher } from '../security/token-cipher.js';
import { SqliteAnswerStepStore } from '../store/answer-steps-repo.js';
import { SqliteArtifactStore } from '../store/artifact-repo.js';
import { SqliteAssistantThreadStore } from '../store/assistant-repo.js';
import { SqliteChannelSourceStore } from '../store/channel-source-repo.js';
import { SqliteCollaborationStore } from '../store/collaboration-repo.js';
import { SqliteDataToolAuditStore } from '../store/data-audit-repo.js';
import { durability, type OpenDatabase, openDatabase } from '../store/db.js';
import { SqliteDigestStore } from '../store/digest-repo.js';
import { SqliteFeedbackStore } from '../store/feedback-repo.js';
import { SqliteHomeStore } from '../store/home-repo.js';
import { SqliteInstallationStore } from '../store/installation-repo.js';
import { SqliteJobQueue } from '../store/job-repo.js';
import { SqliteLimitStore } from '../store/limits-repo.js';
import { SqliteQualityCheckStore } from '../store/quality-check-repo.js';
import { SqliteRetentionStore } from '../store/retention-repo.js';
import { SqliteTaskAdmission } from '../store/task-admission.js';
import { SqliteTaskStore } from '../store/task-repo.js';
import { SqliteTeamContextStore } from '../store/team-context-repo.js';
import { SqliteThreadFileStore } from '../store/thread-files-repo.js';
import { SqliteWorkspacePurge } from '../store/workspace-purge.js';
import type { AnswerHandlers, AnswerWorkerSettings, StoreBackend, Stores } from './stores.js';

function sqliteStores(
  database: OpenDatabase,
  config: Config,
  tuning: AppTuning,
  jobs: SqliteJobQueue,
): Stores {
  const collaboration = new SqliteCollaborationStore(database.db);
  const store = new SqliteTaskStore(database.db, database.sqlite);
  return {
    jobs,
    store,
    admission: new SqliteTaskAdmission(
      database.db,
      database.sqlite,
      jobs,
      store,
      tuning.walDataSync,
      config.limits,
    ),
    retention: new SqliteRetentionStore(database.sqlite),
    collaboration,
    digests: new SqliteDigestStore(database.db, collaboration),
    home: new SqliteHomeStore(database.db),
    answerSteps: new SqliteAnswerStepStore(database.db),
    artifacts: new SqliteArtifactStore(database.db),
    feedback: new SqliteFeedbackStore(database.sqlite),
    assistantThreads: new SqliteAssistantThreadStore(database.sqlite),
    threadFiles: new SqliteThreadFileStore(database.sqlite),
    limits: new UsageLimits(new SqliteLimitStore(database.sqlite), config.limits),
    qualityChecks: new SqliteQualityCheckStore(database.sqlite),
    channelSources: new SqliteChannelSourceStore(database.db),
    dataAudit: new SqliteDataToolAuditStore(database.db),
    teamContexts: new SqliteTeamContextStore(database.db),
  };
}

/** The embedded default: one SQLite file (DATABASE_PATH), our own leased job queue, one process. */
export function openSqliteBackend(
  path: string,
  config: Config,
  tuning: AppTuning,
  logger: Logger,
): StoreBackend {
  const database = openDatabase(path);
  // The connection every acknowledged write commits on: `synchronous: full` means on disk before the ack.
  logger.info('database open', { engine: 'sqlite', ...durability(database.sqlite) });
  const jobs = new SqliteJobQueue(database.sqlite);
  return {
    engine: 'sqlite',
    stores: sqliteStores(database, config, tuning, jobs),
    installations: (cipher: TokenCipher) => ({
      store: new SqliteInstallationStore(database.sqlite, cipher),
      purge: new SqliteWorkspacePurge(database.sqlite),
    }),
    answerWorker: ({ handle, giveUp }: AnswerHandlers, settings: AnswerWorkerSettings) =>
      new JobWorker(
        jobs,
        handle,
        {
          concurrency: settings.concurrency,
          leaseMs: settings.leaseMs,
          pollMs: Math.min(5_000, settings.leaseMs),
          logger: settings.logger,
        },
        giveUp,
      ),
    close: async () => database.close(),
  };
}
