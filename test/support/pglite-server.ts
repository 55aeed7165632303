import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Why this file exists: a real PostgreSQL (PGlite) reachable at a `postgres://` URL, so the adapters'
 * tests use the real `pg` driver over the wire with no server installed. It runs in a child process
 * (pglite-server-child.ts); `stop()` kills it (the database lives in memory and goes with it).
 */

export interface PgliteServer {
  /** `postgres://postgres:postgres@127.0.0.1:PORT/postgres` */
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export async function startPgliteServer(): Promise<PgliteServer> {
  const entry = fileURLToPath(new URL('./pglite-server-child.ts', import.meta.url));
  const child = fork(entry, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'json',
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('PGlite did not start in time')), START_TIMEOUT_MS);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PGlite exited before it started (${code})`));
    });
  });
  let stopped = false;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
