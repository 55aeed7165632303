import { existsSync } from 'node:fs';
import { StartupError, startApp } from './app.js';
import { formatConfigProblems, parseConfig } from './config.js';
import { errorSummary } from './core/errors.js';
import { createLogger, redactor } from './logger.js';

/** Entry point: read .env and the environment, start the bot, stop gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  // Values already in the environment win over .env, as operators expect.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(`${formatConfigProblems(parsed.problems)}\n`);
    process.exit(1);
  }
  const { config } = parsed;
  // The variables marked secret in the config schema: redacted from every log line.
  const logger = createLogger({ level: config.logLevel, secrets: config.secrets });
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config, logger);
  } catch (error) {
    const message = error instanceof StartupError ? error.message : `Start-up failed: ${errorSummary(error)}`;
    logger.error(message);
    // Past the logger, so through its redactor here: a driver's message may quote a secret.
    process.stderr.write(`data-engineer-bot cannot start: ${redactor(config.secrets)(message)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping: finishing answers in progress', { signal });
    await app.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Background work that stopped by itself (logged where it happened): stop what still runs, then exit
  // non-zero so the supervisor (Docker, systemd, Kubernetes) starts a fresh process.
  void app.failed.then(async () => {
    if (stopping) return;
    stopping = true;
    await app.stop({ graceMs: 10_000 });
    process.exit(1);
  });
}

void main();
