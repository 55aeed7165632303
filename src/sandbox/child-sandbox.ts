import {
  type CodeParsers,
  DEFAULT_SANDBOX_LIMITS,
  type ParseOutcome,
  type SandboxLimits,
  type SandboxSession,
  SandboxUnavailableError,
  type SqlDialect,
  type SqlSandbox,
} from '../core/sandbox/sandbox.js';
import { ChildSession, type SessionOwner } from './child-session.js';
import { removeStaleStagingDirs } from './file-staging.js';
import type { ChildRequest } from './protocol.js';
import { type Reply, SandboxChild } from './sandbox-child.js';

/**
 * Why this file exists: the bot's side of the sandbox. DuckDB and the parsers live in child processes
 * (src/sandbox/child-main.ts) started on first use and ended when idle, so the bot's idle memory does not
 * change and a runaway query never delays the bot's event loop. Each open session has a child of its own
 * (at most maxOpenSessions), so a statement that passes the memory cap or stops answering costs only its
 * own session: the child is killed, the other answers' databases live on. The parsers have one more child.
 */

export interface ChildSandboxOptions {
  limits?: Partial<SandboxLimits>;
  /** How long a parse or an open may take before the child counts as stuck. */
  requestTimeoutMs?: number;
  /** Told when a child starts and ends (for logs and tests); never gets SQL or results. */
  onLifecycle?: (event: {
    type: 'start' | 'exit';
    pid: number | undefined;
    reason?: string;
    stderr?: string;
  }) => void;
}

/** A child whose session closed is reused by the next session only while its memory is this small. */
const REUSE_MAX_RSS_MB = 300;

export class ChildProcessSandbox implements SqlSandbox, CodeParsers, SessionOwner {
  readonly limits: SandboxLimits;
  /** Every running child, oldest first. */
  private readonly children = new Set<SandboxChild>();
  /** Children whose session closed cleanly: the next session takes one instead of starting a process. */
  private readonly spares: SandboxChild[] = [];
  private parser: SandboxChild | undefined;
  private started = 0;
  private nextSession = 1;
  private readonly requestTimeoutMs: number;
  private readonly onLifecycle: ChildSandboxOptions['onLifecycle'];
  private stopped = false;

  constructor(options: ChildSandboxOptions = {}) {
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.onLifecycle = options.onLifecycle;
    // Shared files staged by a bot process that died mid-load are removed (see file-staging.ts).
    void removeStaleStagingDirs();
  }

  /** The pid of the child started last that still runs (tests and the bench watch it start and end). */
  get childPid(): number | undefined {
    return [...this.children].at(-1)?.pid;
  }

  /** Sessions open now (the checker and the agent must close theirs). */
  get openSessions(): number {
    return [...this.children].filter((child) => child.sessionId !== undefined).length;
  }

  /** How many child processes were started so far. */
  get starts(): number {
    return this.started;
  }

  async openSession(): Promise<SandboxSession> {
    if (this.stopped) throw new SandboxUnavailableError('the sandbox is stopped');
    const open = this.openSessions;
    if (open >= this.limits.maxOpenSessions) {
      throw new SandboxUnavailableError(`the sandbox is busy (${open} sessions open)`);
    }
    const child = this.spares.pop() ?? this.start();
    const sessionId = `s${this.nextSession++}`;
    child.sessionId = sessionId;
    try {
      const reply = await this.request(child, { type: 'open', id: 0, sessionId }, this.requestTimeoutMs);
      if (!reply.ok)
        throw new SandboxUnavailableError(`the sandbox could not open a database: ${reply.error}`);
    } catch (error) {
      child.kill('the session could not be opened');
      throw error instanceof SandboxUnavailableError ? error : new SandboxUnavailableError(String(error));
    }
    return new ChildSession(this, child, sessionId, this.limits);
  }

  parseSql(dialect: SqlDialect, text: string): Promise<ParseOutcome> {
    return this.parse({ type: 'parse-sql', id: 0, dialect, text });
  }

  parseYaml(text: string): Promise<ParseOutcome> {
    return this.parse({ type: 'parse-yaml', id: 0, text });
  }

  /** Ends every child now; later calls fail as unavailable. For the bot's shutdown and tests. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const child of this.children) child.kill('the sandbox was stopped');
  }

  async request(child: SandboxChild, request: ChildRequest, timeoutMs: number): Promise<Reply> {
    if (child.idleTimer) clearTimeout(child.idleTimer);
    try {
      return await child.request(request, timeoutMs);
    } finally {
      this.scheduleIdle(child);
    }
  }

  /** Closes the session's database; a child left small is kept warm for the next session. */
  async release(child: SandboxChild): Promise<void> {
    const sessionId = child.sessionId;
    if (child.endReason !== undefined || sessionId === undefined) return;
    const reply = await this.request(child, { type: 'close', id: 0, sessionId }, this.requestTimeoutMs).catch(
      () => undefined,
    );
    child.sessionId = undefined;
    if (child.endReason !== undefined) return;
    const small = reply?.ok === true && (reply.rssMb ?? Number.POSITIVE_INFINITY) <= REUSE_MAX_RSS_MB;
    if (!small || this.stopped) child.kill(this.stopped ? 'the sandbox was stopped' : 'its session closed');
    else this.spares.push(child);
    this.scheduleIdle(child);
  }

  private async parse(request: ChildRequest): Promise<ParseOutcome> {
    if (this.stopped) return { ok: 'unsupported', reason: 'the sandbox is stopped' };
    this.parser ??= this.start();
    try {
      const reply = await this.request(this.parser, request, this.requestTimeoutMs);
      return reply.ok && reply.parse ? reply.parse : { ok: 'unsupported', reason: 'the parser failed' };
    } catch (error) {
      return { ok: 'unsupported', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private start(): SandboxChild {
    const child = new SandboxChild(this.limits, (ended, reason, stderr) => {
      this.children.delete(ended);
      const spare = this.spares.indexOf(ended);
      if (spare >= 0) this.spares.splice(spare, 1);
      if (this.parser === ended) this.parser = undefined;
      this.onLifecycle?.({ type: 'exit', pid: ended.pid, reason, stderr });
    });
    this.started += 1;
    this.children.add(child);
    this.onLifecycle?.({ type: 'start', pid: child.pid });
    return child;
  }

  /**
   * Ends a child after idleMs with nothing in flight (a spare, the parsers' child). A child holding a
   * session lives while the session is used; one nobody used for sessionIdleMs counts as abandoned (a
   * caller that never closed it) and is ended too.
   */
  private scheduleIdle(child: SandboxChild): void {
    if (child.idleTimer) clearTimeout(child.idleTimer);
    child.idleTimer = undefined;
    if (child.endReason !== undefined || child.busy) return;
    const idleFor = child.sessionId === undefined ? this.limits.idleMs : this.limits.sessionIdleMs;
    const wait = Math.max(0, child.lastUsed + idleFor - Date.now());
    child.idleTimer = setTimeout(() => {
      child.idleTimer = undefined;
      if (child.busy) return;
      if (child.lastUsed + idleFor > Date.now()) this.scheduleIdle(child);
      else child.kill('idle');
    }, wait);
    child.idleTimer.unref();
  }
}
