import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { StartupError, startApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { TEST_SECRETS } from '../support/harness.js';

const PASSWORD = 'pw-never-printed-0451';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startWith(databaseUrl: string): Promise<unknown> {
  const parsed = parseConfig({
    SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
    SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
    ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: parsed.config.secrets, sink: (l) => logs.push(l) });
  const failure = await startApp(parsed.config, logger).then(
    () => new Error('started'),
    (error: unknown) => error,
  );
  expect(logs.join('\n')).not.toContain(PASSWORD);
  return failure;
}

/**
 * DATABASE_URL chooses the store before anything else starts: a database that cannot be opened stops
 * the start with one line for the operator (main prints it on stderr, outside the log redactor), which
 * names DATABASE_URL and the driver's reason and never the password.
 */
describe('the store DATABASE_URL chooses', () => {
  it('a server that is not there: a start-up error naming DATABASE_URL, without the password', async () => {
    const failure = await startWith(`postgres://bot:${PASSWORD}@127.0.0.1:${await closedPort()}/deb`);
    expect(failure).toBeInstanceOf(StartupError);
    const message = (failure as Error).message;
    expect(message).toMatch(/^PostgreSQL \(DATABASE_URL\) could not be opened: .*ECONNREFUSED/);
    expect(message).not.toContain(PASSWORD);
  });

  it.runIf(process.env.TEST_DATABASE_URL)('a refused login: the reason, without the password', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    url.password = PASSWORD;
    const failure = await startWith(url.toString());
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toContain('password authentication failed');
    expect((failure as Error).message).not.toContain(PASSWORD);
  });
});
