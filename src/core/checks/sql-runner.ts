import type { SandboxSession, SqlRunReport, SqlSandbox } from '../sandbox/sandbox.js';

/**
 * Why this file exists: the SQL blocks of one answer run in order in one sandbox session, so later
 * blocks see the tables earlier ones created; the session opens on the first SQL block only (most
 * answers have none) and a sandbox that cannot take it makes the blocks "not checked", never failed.
 */

export type SqlRun =
  | { kind: 'ran' }
  | { kind: 'failed'; error: string; errorLine: number }
  | { kind: 'unavailable'; reason: string };

/** The answer's one sandbox session for its SQL blocks, opened on the first SQL block. */
export class SqlRunner {
  private session: Promise<SandboxSession | undefined> | undefined;
  private unavailable = 'the sandbox is not available';

  constructor(private readonly sandbox: SqlSandbox) {}

  async run(sql: string): Promise<SqlRun> {
    this.session ??= this.sandbox.openSession().catch((error: unknown) => {
      this.unavailable = `the sandbox is not available: ${error instanceof Error ? error.message : String(error)}`;
      return undefined;
    });
    const session = await this.session;
    if (!session) return { kind: 'unavailable', reason: this.unavailable };
    return toRun(await session.run(sql));
  }

  async close(): Promise<void> {
    const session = await this.session;
    await session?.close().catch(() => undefined);
  }
}

function toRun(report: SqlRunReport): SqlRun {
  const failed = report.statements.find((s) => !s.ok);
  if (failed && !failed.ok) return { kind: 'failed', error: failed.error, errorLine: failed.errorLine };
  if (report.stopped) return { kind: 'unavailable', reason: report.stopped };
  if (report.statements.length === 0) return { kind: 'unavailable', reason: 'no statements' };
  return { kind: 'ran' };
}
