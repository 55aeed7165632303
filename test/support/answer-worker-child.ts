import { PostgresAnswerWorker } from '../../src/store/postgres/answer-worker.js';
import { openPostgres } from '../../src/store/postgres/db.js';
import { quietLogger } from './quiet-logger.js';

/**
 * A bot process's answer worker, for a test to kill: it takes jobs, says "started <taskId>" on stdout
 * and never finishes them. DATABASE_URL names the database.
 */
const store = await openPostgres(process.env.DATABASE_URL as string, { poolSize: 4 });
if (!store.pool) throw new Error('no pool');
const worker = new PostgresAnswerWorker(store.db, {
  pool: store.pool,
  concurrency: 2,
  leaseMs: 3_000,
  logger: quietLogger,
  giveUp: async () => {},
  handle: async (job) => {
    process.stdout.write(`started ${job.taskId}\n`);
    await new Promise(() => {});
  },
});
await worker.start();
process.stdout.write('ready\n');
