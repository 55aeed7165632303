import { join } from 'node:path';
import type { TablesReport } from '../core/artifacts/table-schema.js';
import type { FileLoadOutcome, FileToLoad } from '../core/files/loaded-file.js';
import { maskRunReport } from '../core/files/masked-report.js';
import {
  type SandboxLimits,
  type SandboxSession,
  SandboxUnavailableError,
  type SqlRunReport,
} from '../core/sandbox/sandbox.js';
import type { StagedFile } from './file-loader.js';
import { createStagingDir, removeStagedFile, removeStagingDir, stageFile } from './file-staging.js';
import type { ChildRequest } from './protocol.js';
import type { Reply, SandboxChild } from './sandbox-child.js';

/**
 * Why this file exists: the bot's handle on one sandbox session, which lives alone in its own child
 * process. Calls of one session go one at a time, so each call's kill deadline starts when it is sent.
 */

const RESTARTED =
  "The sandbox was restarted; this answer's tables are gone. Re-create them (a few hundred rows are enough) or finish without the sandbox.";

/** What the session needs from the sandbox that owns its child. */
export interface SessionOwner {
  request(child: SandboxChild, request: ChildRequest, timeoutMs: number): Promise<Reply>;
  /** The session is closed: the child may be reused by a later session or ended. */
  release(child: SandboxChild): Promise<void>;
}

export class ChildSession implements SandboxSession {
  private closed = false;
  /** A file people shared was loaded as a table: every later result is masked (core/files/masked-report.ts). */
  private holdsFiles = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly owner: SessionOwner,
    private readonly child: SandboxChild,
    private readonly sessionId: string,
    private readonly limits: SandboxLimits,
  ) {}

  run(sql: string): Promise<SqlRunReport> {
    return this.enqueue(() => this.runNow(sql));
  }

  describeTables(): Promise<TablesReport> {
    return this.enqueue(() => this.describeNow());
  }

  loadFiles(files: readonly FileToLoad[], signal?: AbortSignal): Promise<FileLoadOutcome[]> {
    return this.enqueue(() => this.loadNow(files, signal));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.owner.release(this.child);
  }

  private enqueue<T>(call: () => Promise<T>): Promise<T> {
    const next = this.queue.then(call);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The kill deadline of a call: the child's own timer plus a grace period. */
  private get deadline(): number {
    return this.limits.callTimeoutMs + this.limits.killGraceMs;
  }

  private gone(): string | undefined {
    if (this.closed) return 'This sandbox session is closed.';
    const reason = this.child.endReason;
    if (reason !== undefined || this.child.sessionId !== this.sessionId) {
      return reason ? `${RESTARTED} (${reason})` : RESTARTED;
    }
    return undefined;
  }

  private async runNow(sql: string): Promise<SqlRunReport> {
    const gone = this.gone();
    if (gone) return stoppedReport(gone);
    try {
      const request = { type: 'run', id: 0, sessionId: this.sessionId, sql } as const;
      const reply = await this.owner.request(this.child, request, this.deadline);
      if (!reply.ok || !reply.report)
        return stoppedReport(`The sandbox failed: ${reply.ok ? 'no report' : reply.error}`);
      return this.holdsFiles ? maskRunReport(reply.report) : reply.report;
    } catch (error) {
      return stoppedReport(`${RESTARTED} (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  /**
   * Streams each download into a private directory (under its byte cap), lets the child load the staged
   * ones one request per file, and removes the directory whatever happens: the tables are in memory by
   * then. A file that stops or breaks the child is refused; the files after it are not judged (transient).
   */
  private async loadNow(files: readonly FileToLoad[], signal?: AbortSignal): Promise<FileLoadOutcome[]> {
    const dir = await createStagingDir();
    try {
      const outcomes: FileLoadOutcome[] = [];
      for (const [index, file] of files.entries()) {
        const gone = this.gone();
        if (gone) {
          outcomes.push({ ok: false, reason: `not loaded now: ${gone}`, transient: true });
          continue;
        }
        const path = join(dir, `f${index + 1}.bin`);
        const result = await stageFile(path, file, signal);
        if (!result.ok) {
          outcomes.push({
            ok: false,
            reason: result.reason,
            ...(result.transient ? { transient: true } : {}),
          });
          continue;
        }
        // Set before the child is asked: a load that fails halfway may still leave a table of the file.
        this.holdsFiles = true;
        outcomes.push(
          await this.loadStaged({ path, name: file.name, table: file.table, claimed: file.claimed }),
        );
        await removeStagedFile(path);
      }
      return outcomes;
    } finally {
      await removeStagingDir(dir);
    }
  }

  private async loadStaged(file: StagedFile): Promise<FileLoadOutcome> {
    const request: ChildRequest = { type: 'load-files', id: 0, sessionId: this.sessionId, files: [file] };
    const deadline = this.limits.fileLoadTimeoutMs + this.limits.killGraceMs;
    try {
      const reply = await this.owner.request(this.child, request, deadline);
      if (reply.ok && reply.files?.[0]) return reply.files[0];
      const why = reply.ok ? 'no result' : reply.error;
      return { ok: false, reason: `not loaded: the sandbox failed while loading it (${why})` };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, reason: `not loaded: the sandbox stopped while loading it (${why})` };
    }
  }

  private async describeNow(): Promise<TablesReport> {
    const gone = this.gone();
    if (gone) throw new SandboxUnavailableError(gone);
    const request = { type: 'describe-tables', id: 0, sessionId: this.sessionId } as const;
    const reply = await this.owner.request(this.child, request, this.deadline).catch((error: unknown) => {
      throw new SandboxUnavailableError(error instanceof Error ? error.message : String(error));
    });
    if (!reply.ok || !reply.tables) {
      throw new SandboxUnavailableError(
        `the sandbox could not describe its tables: ${reply.ok ? 'no tables' : reply.error}`,
      );
    }
    return reply.tables;
  }
}

function stoppedReport(reason: string): SqlRunReport {
  return { statements: [], notRun: 0, stopped: reason, elapsedMs: 0 };
}
