import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SandboxLimits } from '../core/sandbox/sandbox.js';
import { type ChildReply, type ChildRequest, LIMITS_ENV } from './protocol.js';

/**
 * Why this file exists: one sandbox child process (src/sandbox/child-main.ts) seen from the bot: its
 * requests in flight, each with a hard deadline (no reply in time: the process is killed), and why it
 * ended. ChildProcessSandbox starts one per session, so a kill ends only that session's database.
 */

export type Reply = Extract<ChildReply, { type: 'reply' }>;

type Pending = { resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

const STDERR_TAIL = 600;

/** The child's entry: the compiled .js next to this file, or the .ts source under tsx (tests, bench). */
function childEntry(): { path: string; execArgv: string[] } {
  const here = import.meta.url;
  const isSource = here.endsWith('.ts');
  const path = fileURLToPath(new URL(isSource ? './child-main.ts' : './child-main.js', here));
  // tsx is resolved from here, not from the child's working directory.
  const loader = isSource ? ['--import', import.meta.resolve('tsx')] : [];
  return { path, execArgv: [...loader, '--max-old-space-size=256'] };
}

export class SandboxChild {
  /** Why it ended, once it has: told to its session. */
  endReason: string | undefined;
  /** The session it holds, if any (a child with none is a warm spare or the parsers' child). */
  sessionId: string | undefined;
  lastUsed = Date.now();
  idleTimer: NodeJS.Timeout | undefined;
  private readonly process: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';
  private exited = false;

  constructor(
    limits: SandboxLimits,
    private readonly onExit: (child: SandboxChild, reason: string, stderr: string) => void,
  ) {
    const { path, execArgv } = childEntry();
    // An empty environment but for the limits: the child never sees the bot's tokens.
    this.process = fork(path, [], {
      execArgv,
      cwd: tmpdir(),
      env: { [LIMITS_ENV]: JSON.stringify(limits) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    // The tail of the child's stderr explains a crash in the lifecycle event (it never goes to the model).
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
    });
    (this.process.stderr as { unref?: () => void } | null)?.unref?.();
    this.process.on('message', (message: ChildReply) => this.onMessage(message));
    this.process.on('exit', (code, signal) =>
      this.ended(code === null ? `signal ${signal}` : `exit ${code}`),
    );
    this.process.on('error', (error) => this.ended(error.message));
    this.unrefWhenQuiet();
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  request(request: ChildRequest, timeoutMs: number): Promise<Reply> {
    if (this.endReason !== undefined) return Promise.reject(new Error(this.endReason));
    this.lastUsed = Date.now();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // No reply in time: the child is stuck (a statement that ignores interrupt, a wedged parser).
        this.kill(`no reply within ${Math.round(timeoutMs / 1000)} s; the sandbox process was killed`);
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.unrefWhenQuiet();
      this.process.send({ ...request, id }, (error) => {
        if (error) this.settle(id, undefined, error);
      });
    });
  }

  /** Kills the process; its requests fail with `reason` (the first reason given wins). */
  kill(reason: string): void {
    this.endReason ??= reason;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.process.kill('SIGKILL');
  }

  private onMessage(message: ChildReply): void {
    if (message.type === 'fatal') {
      this.endReason ??= message.reason;
      return;
    }
    this.settle(message.id, message);
  }

  private settle(id: number, reply?: Reply, error?: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    this.lastUsed = Date.now();
    if (reply) pending.resolve(reply);
    else pending.reject(error ?? new Error('no reply'));
    this.unrefWhenQuiet();
  }

  private ended(how: string): void {
    if (this.exited) return;
    this.exited = true;
    const reason = this.endReason ?? `the sandbox process ended (${how})`;
    this.endReason = reason;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, new Error(reason));
    this.onExit(this, reason, this.stderr.trim());
  }

  /** The child never keeps the bot alive by itself; while a request waits, it does. */
  private unrefWhenQuiet(): void {
    const channel = this.process.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (this.pending.size > 0) {
      this.process.ref();
      channel?.ref?.();
    } else {
      this.process.unref();
      channel?.unref?.();
    }
  }
}
