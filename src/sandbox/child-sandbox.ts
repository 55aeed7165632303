import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TablesReport } from '../core/artifacts/table-schema.js';
import {
  type CodeParsers,
  DEFAULT_SANDBOX_LIMITS,
  type ParseOutcome,
  type SandboxLimits,
  type SandboxSession,
  SandboxUnavailableError,
  type SqlDialect,
  type SqlRunReport,
  type SqlSandbox,
} from '../core/sandbox/sandbox.js';
import { type ChildReply, type ChildRequest, LIMITS_ENV } from './protocol.js';

/**
 * Why this file exists: the bot's side of the sandbox. DuckDB and the parsers live in a child process
 * (src/sandbox/child-main.ts) started on first use and ended when idle, so the bot's idle memory does not
 * change, a runaway query never delays the bot's event loop, and a crash or a kill only costs the open
 * sessions. Every request has a hard deadline: a child that does not answer in time is killed.
 */

type Pending = {
  resolve: (reply: Extract<ChildReply, { type: 'reply' }>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

/** One child process and what is in flight in it. A new child is a new generation: old sessions are gone. */
interface Child {
  process: ChildProcess;
  generation: number;
  pending: Map<number, Pending>;
  sessions: Set<string>;
  /** Why it ended, once it has: told to every session of this generation. */
  endReason?: string;
  stderr: string;
}

const STDERR_TAIL = 600;

export interface ChildSandboxOptions {
  limits?: Partial<SandboxLimits>;
  /** How long a parse or an open may take before the child counts as stuck. */
  requestTimeoutMs?: number;
  /** Told when the child starts and ends (for logs and tests); never gets SQL or results. */
  onLifecycle?: (event: {
    type: 'start' | 'exit';
    pid: number | undefined;
    reason?: string;
    stderr?: string;
  }) => void;
}

const RESTARTED =
  "The sandbox was restarted; this answer's tables are gone. Re-create them (a few hundred rows are enough) or finish without the sandbox.";

/** The child's entry: the compiled .js next to this file, or the .ts source under tsx (tests, bench). */
function childEntry(): { path: string; execArgv: string[] } {
  const here = import.meta.url;
  const isSource = here.endsWith('.ts');
  const path = fileURLToPath(new URL(isSource ? './child-main.ts' : './child-main.js', here));
  // tsx is resolved from here, not from the child's working directory.
  const loader = isSource ? ['--import', import.meta.resolve('tsx')] : [];
  return { path, execArgv: [...loader, '--max-old-space-size=256'] };
}

export class ChildProcessSandbox implements SqlSandbox, CodeParsers {
  readonly limits: SandboxLimits;
  private child: Child | undefined;
  private generation = 0;
  private nextId = 1;
  private nextSession = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly lastUsed = new Map<string, number>();
  private readonly requestTimeoutMs: number;
  private readonly onLifecycle: ChildSandboxOptions['onLifecycle'];
  private stopped = false;

  constructor(options: ChildSandboxOptions = {}) {
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.onLifecycle = options.onLifecycle;
  }

  /** The child's pid while it runs (tests and the bench watch it start and end). */
  get childPid(): number | undefined {
    return this.child?.process.pid;
  }

  /** Sessions open now (the checker and the agent must close theirs). */
  get openSessions(): number {
    return this.child?.sessions.size ?? 0;
  }

  /** How many child processes were started so far. */
  get starts(): number {
    return this.generation;
  }

  async openSession(): Promise<SandboxSession> {
    if (this.stopped) throw new SandboxUnavailableError('the sandbox is stopped');
    const open = this.child?.sessions.size ?? 0;
    if (open >= this.limits.maxOpenSessions) {
      throw new SandboxUnavailableError(`the sandbox is busy (${open} sessions open)`);
    }
    const child = this.ensureChild();
    const sessionId = `s${this.nextSession++}`;
    child.sessions.add(sessionId);
    this.lastUsed.set(sessionId, Date.now());
    try {
      const reply = await this.request(child, { type: 'open', id: 0, sessionId }, this.requestTimeoutMs);
      if (!reply.ok)
        throw new SandboxUnavailableError(`the sandbox could not open a database: ${reply.error}`);
    } catch (error) {
      child.sessions.delete(sessionId);
      this.lastUsed.delete(sessionId);
      this.scheduleIdle();
      throw error instanceof SandboxUnavailableError ? error : new SandboxUnavailableError(String(error));
    }
    return this.sessionHandle(child, sessionId);
  }

  parseSql(dialect: SqlDialect, text: string): Promise<ParseOutcome> {
    return this.parse({ type: 'parse-sql', id: 0, dialect, text });
  }

  parseYaml(text: string): Promise<ParseOutcome> {
    return this.parse({ type: 'parse-yaml', id: 0, text });
  }

  /** Ends the child now; later calls fail as unavailable. For the bot's shutdown and tests. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.endChild('the sandbox was stopped');
  }

  private async parse(request: ChildRequest): Promise<ParseOutcome> {
    if (this.stopped) return { ok: 'unsupported', reason: 'the sandbox is stopped' };
    try {
      const reply = await this.request(this.ensureChild(), request, this.requestTimeoutMs);
      return reply.ok && reply.parse ? reply.parse : { ok: 'unsupported', reason: 'the parser failed' };
    } catch (error) {
      return { ok: 'unsupported', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      this.scheduleIdle();
    }
  }

  private sessionHandle(child: Child, sessionId: string): SandboxSession {
    let closed = false;
    // Calls of one session go one at a time, so each call's kill deadline starts when it is sent.
    let queue: Promise<unknown> = Promise.resolve();
    const runNow = async (sql: string): Promise<SqlRunReport> => {
      if (closed) return stoppedReport('This sandbox session is closed.');
      if (child.endReason !== undefined || this.child !== child) {
        return stoppedReport(child.endReason ? `${RESTARTED} (${child.endReason})` : RESTARTED);
      }
      this.lastUsed.set(sessionId, Date.now());
      const deadline = this.limits.callTimeoutMs + this.limits.killGraceMs;
      try {
        const reply = await this.request(child, { type: 'run', id: 0, sessionId, sql }, deadline);
        if (!reply.ok || !reply.report)
          return stoppedReport(`The sandbox failed: ${reply.ok ? 'no report' : reply.error}`);
        return reply.report;
      } catch (error) {
        return stoppedReport(`${RESTARTED} (${error instanceof Error ? error.message : String(error)})`);
      } finally {
        this.lastUsed.set(sessionId, Date.now());
      }
    };
    const describeNow = async (): Promise<TablesReport> => {
      if (closed || child.endReason !== undefined || this.child !== child) {
        throw new SandboxUnavailableError(child.endReason ?? 'this sandbox session is closed');
      }
      this.lastUsed.set(sessionId, Date.now());
      const reply = await this.request(
        child,
        { type: 'describe-tables', id: 0, sessionId },
        this.requestTimeoutMs,
      );
      if (!reply.ok || !reply.tables) {
        throw new SandboxUnavailableError(
          `the sandbox could not describe its tables: ${reply.ok ? 'no tables' : reply.error}`,
        );
      }
      return reply.tables;
    };
    return {
      run: (sql: string) => {
        const next = queue.then(() => runNow(sql));
        queue = next.catch(() => undefined);
        return next;
      },
      describeTables: () => {
        const next = queue.then(describeNow);
        queue = next.catch(() => undefined);
        return next;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.lastUsed.delete(sessionId);
        if (this.child === child && child.sessions.delete(sessionId)) {
          await this.request(child, { type: 'close', id: 0, sessionId }, this.requestTimeoutMs).catch(
            () => undefined,
          );
        }
        this.scheduleIdle();
      },
    };
  }

  private ensureChild(): Child {
    if (this.child) return this.child;
    const { path, execArgv } = childEntry();
    // An empty environment but for the limits: the child never sees the bot's tokens.
    const proc = fork(path, [], {
      execArgv,
      cwd: tmpdir(),
      env: { [LIMITS_ENV]: JSON.stringify(this.limits) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.generation += 1;
    const child: Child = {
      process: proc,
      generation: this.generation,
      pending: new Map(),
      sessions: new Set(),
      stderr: '',
    };
    // The tail of the child's stderr explains a crash in the lifecycle event (it never goes to the model).
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      child.stderr = (child.stderr + chunk).slice(-STDERR_TAIL);
    });
    (proc.stderr as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    proc.on('message', (message: ChildReply) => this.onMessage(child, message));
    proc.on('exit', (code, signal) =>
      this.onExit(child, code === null ? `signal ${signal}` : `exit ${code}`),
    );
    proc.on('error', (error) => this.onExit(child, error.message));
    this.unrefWhenQuiet(child);
    this.onLifecycle?.({ type: 'start', pid: proc.pid });
    return child;
  }

  private request(
    child: Child,
    request: ChildRequest,
    timeoutMs: number,
  ): Promise<Extract<ChildReply, { type: 'reply' }>> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // No reply in time: the child is stuck (a statement that ignores interrupt, a wedged parser).
        this.endChild(`no reply within ${Math.round(timeoutMs / 1000)} s; the sandbox process was killed`);
      }, timeoutMs);
      child.pending.set(id, { resolve, reject, timer });
      this.unrefWhenQuiet(child);
      child.process.send({ ...request, id }, (error) => {
        if (error) this.settle(child, id, undefined, error);
      });
    });
  }

  private onMessage(child: Child, message: ChildReply): void {
    if (message.type === 'fatal') {
      child.endReason = message.reason;
      return;
    }
    this.settle(child, message.id, message);
  }

  private settle(
    child: Child,
    id: number,
    reply?: Extract<ChildReply, { type: 'reply' }>,
    error?: Error,
  ): void {
    const pending = child.pending.get(id);
    if (!pending) return;
    child.pending.delete(id);
    clearTimeout(pending.timer);
    if (reply) pending.resolve(reply);
    else pending.reject(error ?? new Error('no reply'));
    this.unrefWhenQuiet(child);
    this.scheduleIdle();
  }

  private onExit(child: Child, how: string): void {
    const reason = child.endReason ?? `the sandbox process ended (${how})`;
    child.endReason = reason;
    for (const id of [...child.pending.keys()]) this.settle(child, id, undefined, new Error(reason));
    for (const sessionId of child.sessions) this.lastUsed.delete(sessionId);
    child.sessions.clear();
    if (this.child === child) this.child = undefined;
    this.onLifecycle?.({ type: 'exit', pid: child.process.pid, reason, stderr: child.stderr.trim() });
  }

  /** Kills the current child (if any); its sessions and requests fail with `reason`. */
  private endChild(reason: string): void {
    const child = this.child;
    if (!child) return;
    child.endReason ??= reason;
    this.child = undefined;
    child.process.kill('SIGKILL');
  }

  /** The child never keeps the bot alive by itself; while a request waits, it does. */
  private unrefWhenQuiet(child: Child): void {
    const channel = child.process.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (child.pending.size > 0) {
      child.process.ref();
      channel?.ref?.();
    } else {
      child.process.unref();
      channel?.unref?.();
    }
  }

  /**
   * Ends the child after idleMs with nothing open and nothing in flight. Sessions nobody used for
   * sessionIdleMs count as abandoned (a caller that never closed them) and do not keep it alive.
   */
  private scheduleIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const child = this.child;
    if (!child || child.pending.size > 0) return;
    const now = Date.now();
    let wait = this.limits.idleMs;
    for (const sessionId of child.sessions) {
      const left = (this.lastUsed.get(sessionId) ?? 0) + this.limits.sessionIdleMs - now;
      if (left > 0) wait = Math.max(wait, left);
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.child !== child || child.pending.size > 0) return;
      const stillUsed = [...child.sessions].some(
        (id) => (this.lastUsed.get(id) ?? 0) + this.limits.sessionIdleMs > Date.now(),
      );
      if (stillUsed) this.scheduleIdle();
      else this.endChild('idle');
    }, wait);
    this.idleTimer.unref();
  }
}

function stoppedReport(reason: string): SqlRunReport {
  return { statements: [], notRun: 0, stopped: reason, elapsedMs: 0 };
}
