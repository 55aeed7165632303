import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  DUCKDB_SETTINGS_ENV,
  type DuckDbCall,
  type DuckDbChildSettings,
  type DuckDbReply,
  type DuckDbRequest,
} from './duckdb-protocol.js';

/**
 * Why this file exists: a DuckDB source's child process seen from the bot: requests in flight, each with
 * a hard deadline (no reply in time: the process is killed, the next call starts a fresh one), and an
 * idle end so DuckDB's memory is given back when the data tools are not in use.
 */

type Ok = Extract<DuckDbReply, { ok: true }>;
type Pending = {
  resolve: (reply: DuckDbReply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

/** The child's entry: the compiled .js next to this file, or the .ts source under tsx (tests, bench). */
function childEntry(): { path: string; execArgv: string[] } {
  const here = import.meta.url;
  const isSource = here.endsWith('.ts');
  const path = fileURLToPath(new URL(isSource ? './duckdb-child.ts' : './duckdb-child.js', here));
  const loader = isSource ? ['--import', import.meta.resolve('tsx')] : [];
  return { path, execArgv: [...loader, '--max-old-space-size=256'] };
}

export class DuckDbChild {
  private readonly process: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Why it ended, once it has. */
  endReason: string | undefined;

  constructor(
    settings: DuckDbChildSettings,
    private readonly idleMs: number,
  ) {
    const { path, execArgv } = childEntry();
    // No environment but its settings: the child never sees the bot's tokens.
    this.process = fork(path, [], {
      execArgv,
      cwd: tmpdir(),
      env: { [DUCKDB_SETTINGS_ENV]: JSON.stringify(settings) },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'json',
    });
    this.process.on('message', (reply: DuckDbReply) => this.onReply(reply));
    this.process.on('exit', (code, signal) => this.ended(`the DuckDB process ended (${code ?? signal})`));
    this.process.on('error', () => this.ended('the DuckDB process could not start'));
    this.quiet();
  }

  get alive(): boolean {
    return this.endReason === undefined;
  }

  request(request: DuckDbCall, deadlineMs: number): Promise<Ok> {
    if (this.endReason !== undefined) return Promise.reject(new Error(this.endReason));
    const id = this.nextId++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    return new Promise<DuckDbReply>((resolve, reject) => {
      const timer = setTimeout(
        () => this.kill(`no reply within ${Math.round(deadlineMs / 1000)} s; the DuckDB process was stopped`),
        deadlineMs,
      );
      this.pending.set(id, { resolve, reject, timer });
      this.process.ref();
      (this.process.channel as { ref?: () => void } | undefined)?.ref?.();
      this.process.send({ ...request, id } as DuckDbRequest, (error) => {
        if (error) this.settle(id, undefined, error);
      });
    }).then((reply) => {
      if (!reply.ok) throw Object.assign(new Error('error' in reply ? reply.error : reply.fatal), reply);
      return reply;
    });
  }

  kill(reason: string): void {
    this.endReason ??= reason;
    this.process.kill('SIGKILL');
  }

  private onReply(reply: DuckDbReply): void {
    if (reply.id === -1 && !reply.ok && 'fatal' in reply) {
      this.endReason ??= reply.fatal;
      return;
    }
    this.settle(reply.id, reply);
  }

  private settle(id: number, reply?: DuckDbReply, error?: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (reply) pending.resolve(reply);
    else pending.reject(error ?? new Error('no reply'));
    this.quiet();
  }

  private ended(how: string): void {
    this.endReason ??= how;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, new Error(this.endReason));
  }

  /** With nothing in flight, the child neither keeps the bot alive nor outlives its idle time. */
  private quiet(): void {
    if (this.pending.size > 0) return;
    this.process.unref();
    (this.process.channel as { unref?: () => void } | undefined)?.unref?.();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.kill('idle'), this.idleMs);
    this.idleTimer.unref();
  }
}
