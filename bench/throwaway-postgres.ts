import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster for a benchmark, as `.ci/run` starts one: initdb in a temp dir, a
 * server on a free port of 127.0.0.1, run as the `postgres` user when we are root (PostgreSQL refuses
 * to run as root), stopped and deleted when done or when this process exits. fsync stays on: the
 * benchmark measures the bot with real durable commits.
 */

export interface ThrowawayPostgres {
  /** The server's version line, e.g. `PostgreSQL 15.14`. */
  version: string;
  /** Creates an empty database and returns its URL (superuser, trust auth on 127.0.0.1). */
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

/** The newest PostgreSQL server binaries installed (Debian's layout), or undefined. */
export function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const found = readdirSync(base)
    .filter((version) => /^\d+$/.test(version))
    .sort((a, b) => Number(a) - Number(b))
    .map((version) => join(base, version, 'bin'))
    .filter((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
  return found.at(-1);
}

/** Why the cluster cannot be started here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (!findPostgresBin()) return 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)';
  if (isRoot() && !hasPostgresUser()) return 'running as root and there is no `postgres` user to run it as';
  return undefined;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function hasPostgresUser(): boolean {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs a server binary as the postgres user when we are root, as ourselves otherwise. */
function asPostgres(command: string, args: string[]): void {
  const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'deb-bench-pg-'));
  const data = join(dir, 'data');
  if (isRoot()) execFileSync('chown', ['postgres:', dir]);
  chmodSync(dir, 0o700);
  const port = await freePort();
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', 'stop']);
    } catch {
      // Not started, or already gone: the directory goes anyway.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C or a crash of the bench must not leave a server running.
  process.once('exit', stop);
  try {
    // --no-sync only skips initdb's own final fsync of the new cluster; the server keeps fsync on.
    asPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    asPostgres(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300`,
      'start',
    ]);
  } catch (error) {
    stop();
    throw new Error(`could not start PostgreSQL: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
  const admin = `postgres://postgres@127.0.0.1:${port}`;
  const client = new pg.Client({ connectionString: `${admin}/postgres` });
  await client.connect();
  const version = String((await client.query('show server_version')).rows[0]?.server_version ?? '');
  await client.end();
  return {
    version: `PostgreSQL ${version}`,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const c = new pg.Client({ connectionString: `${admin}/postgres` });
      await c.connect();
      try {
        await c.query(`create database ${name}`);
      } finally {
        await c.end();
      }
      return `${admin}/${name}`;
    },
    stop,
  };
}
