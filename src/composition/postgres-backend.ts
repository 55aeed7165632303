import type { Config } from '../config.js';
import { UsageLimits } from '../core/limits/limits.js';
import type { Logger } from '../core/logger.js';
import type { TokenCipher } from '../security/token-cipher.js';
import { StartupError } from '../slack/slack-identity.js';
import { PostgresAnswerStepStore, PostgresThreadFileStore } from '../store/postgres/answer-files-repos.js';
import { PostgresAnswerQueue } from '../store/postgres/answer-queue.js';
import { PostgresAnswerWorker } from '../store/postgres/answer-worker.js';
import { PostgresArtifactStore } from '../store/postgres/artifact-repo.js';
import { PostgresDataToolAuditStore, PostgresHomeStore } from '../store/postgres/audit-and-home-repos.js';
import { PostgresCollaborationStore } from '../store/postgres/collaboration-repo.js';
import { type OpenPostgres, openPostgres } from '../store/postgres/db.js';
import { PostgresDigestStore } from '../store/postgres/digest-repo.js';
import { PostgresFeedbackStore } from '../store/postgres/feedback-repo.js';
import { PostgresInstallationStore, PostgresWorkspacePurge } from '../store/postgres/installation-repo.js';
import { PostgresLimitStore } from '../store/postgres/limits-repo.js';
import { PostgresQualityCheckStore } from '../store/postgres/quality-check-repo.js';
import { PostgresRetentionStore } from '../store/postgres/retention-repo.js';
import {
  PostgresAssistantThreadStore,
  PostgresChannelSourceStore,
  PostgresTeamContextStore,
} from '../store/postgres/settings-repos.js';
import { PostgresTaskAdmission } from '../store/postgres/task-admission.js';
import { PostgresTaskStore } from '../store/postgres/task-repo.js';
import type { AnswerHandlers, AnswerWorkerSettings, StoreBackend, Stores } from './stores.js';

function postgresStores({ db }: OpenPostgres, config: Config): Stores {
  const collaboration = new PostgresCollaborationStore(db);
  return {
    jobs: new PostgresAnswerQueue(db),
    store: new PostgresTaskStore(db),
    admission: new PostgresTaskAdmission(db, config.limits),
    retention: new PostgresRetentionStore(db),
    collaboration,
    digests: new PostgresDigestStore(db, collaboration),
    home: new PostgresHomeStore(db),
    answerSteps: new PostgresAnswerStepStore(db),
    artifacts: new PostgresArtifactStore(db),
    feedback: new PostgresFeedbackStore(db),
    assistantThreads: new PostgresAssistantThreadStore(db),
    threadFiles: new PostgresThreadFileStore(db),
    limits: new UsageLimits(new PostgresLimitStore(db), config.limits),
    qualityChecks: new PostgresQualityCheckStore(db),
    channelSources: new PostgresChannelSourceStore(db),
    dataAudit: new PostgresDataToolAuditStore(db),
    teamContexts: new PostgresTeamContextStore(db),
  };
}

/**
 * PostgreSQL (DATABASE_URL): every instance of the bot shares it. Migrations run at start-up under an
 * advisory lock (instances starting together migrate once); answers run on graphile-worker, any
 * instance taking any task's job, one at a time per task.
 */
export async function openPostgresBackend(
  settings: { url: string; poolSize: number },
  config: Config,
  logger: Logger,
): Promise<StoreBackend> {
  const database = await openPostgres(settings.url, { poolSize: settings.poolSize }).catch(
    (error: unknown) => {
      throw new StartupError(`PostgreSQL (DATABASE_URL) could not be opened: ${whyNotOpened(error)}`);
    },
  );
  logger.info('database open', { engine: 'postgres', poolSize: settings.poolSize });
  const stores = postgresStores(database, config);
  const pool = database.pool;
  if (!pool) throw new Error('PostgreSQL opened without a connection pool');
  return {
    engine: 'postgres',
    stores,
    installations: (cipher: TokenCipher) => ({
      store: new PostgresInstallationStore(database.db, cipher),
      purge: new PostgresWorkspacePurge(database.db),
    }),
    answerWorker: ({ handle, giveUp }: AnswerHandlers, worker: AnswerWorkerSettings) =>
      new PostgresAnswerWorker(database.db, {
        pool,
        concurrency: worker.concurrency,
        leaseMs: worker.leaseMs,
        handle,
        giveUp,
        pending: () => stores.jobs.pendingCount(),
        onFatal: worker.onFatal,
        logger: worker.logger,
      }),
    close: () => database.close(),
  };
}

/** The driver's reason (refused, unknown host, a failed login, a migration error) with its code. */
function whyNotOpened(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return `${message ?? String(error)}${code && !message?.includes(code) ? ` (${code})` : ''}`;
}
