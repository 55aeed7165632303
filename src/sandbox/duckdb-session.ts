import { type DuckDBConnection, DuckDBInstance, ResultReturnType, StatementType } from '@duckdb/node-api';
import type { TablesReport } from '../core/artifacts/table-schema.js';
import type { FileLoadOutcome } from '../core/files/loaded-file.js';
import type { SandboxLimits, SqlRunReport, StatementOutcome } from '../core/sandbox/sandbox.js';
import { type SqlStatement, splitSqlStatements } from '../core/sandbox/split-sql.js';
import { boundedRows, MAX_COLUMNS, runSelect, selectColumns } from './bounded-results.js';
import { describeTables } from './describe-tables.js';
import { loadStagedFile, type StagedFile } from './file-loader.js';
import { failure, firstKeyword, shortName } from './statement-outcome.js';

/**
 * Why this file exists: one sandbox session = one fresh in-memory DuckDB database, locked down by DuckDB's
 * own settings, with every statement on a timer. Runs only inside the sandbox child process (src/sandbox/
 * child-main.ts): loading DuckDB costs ~105 MB of resident memory that must never stay in the bot.
 *
 * One DuckDBInstance per session (not one instance with several attached databases): separate instances
 * cannot see each other's tables, each has its own memory_limit, and closing one frees its memory.
 */

/** Settings DuckDB enforces itself; lock_configuration makes every later `SET` of them fail. */
export function sandboxSettings(limits: SandboxLimits): Record<string, string> {
  return {
    enable_external_access: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    memory_limit: limits.memoryLimit,
    // No spilling to disk: an in-memory database would otherwise write temp files to `.tmp` in the
    // child's working directory (up to 90% of the free disk). A query past memory_limit fails instead.
    max_temp_directory_size: '0B',
    threads: String(limits.threads),
    lock_configuration: 'true',
  };
}

export class DuckDBSession {
  private calls = 0;
  private usedMs = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private running = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly limits: SandboxLimits,
  ) {}

  static async open(limits: SandboxLimits): Promise<DuckDBSession> {
    const instance = await DuckDBInstance.create(':memory:', sandboxSettings(limits));
    const connection = await instance.connect();
    return new DuckDBSession(instance, connection, limits);
  }

  /** Calls of one session run one after another, in the order they arrived. */
  run(sql: string): Promise<SqlRunReport> {
    const next = this.queue.then(() => this.runNow(sql));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The session's tables for the data dictionary, after the calls queued before it. */
  describeTables(): Promise<TablesReport> {
    const next = this.queue.then(() => this.describeNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Loads staged files as tables, one after another, before (or between) the session's calls. */
  loadFiles(files: readonly StagedFile[]): Promise<FileLoadOutcome[]> {
    const next = this.queue.then(() => this.loadNow(files));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async loadNow(files: readonly StagedFile[]): Promise<FileLoadOutcome[]> {
    const outcomes: FileLoadOutcome[] = [];
    const limits = {
      memoryLimit: this.limits.memoryLimit,
      threads: this.limits.threads,
      timeoutMs: this.limits.fileLoadTimeoutMs,
    };
    this.running = true;
    try {
      for (const file of files) {
        outcomes.push(
          await loadStagedFile(this.connection, file, limits).catch((error: unknown) => ({
            ok: false as const,
            reason: `unreadable by the sandbox (${error instanceof Error ? error.name : 'error'})`,
          })),
        );
      }
    } finally {
      this.running = false;
    }
    return outcomes;
  }

  /** Stops whatever runs now (used when the child must shed memory or is closing). */
  interrupt(): void {
    if (this.running) this.connection.interrupt();
  }

  close(): void {
    this.interrupt();
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** Reading the catalog is on the same statement timer and time budget as the session's SQL. */
  private async describeNow(): Promise<TablesReport> {
    const left = this.limits.sessionBudgetMs - this.usedMs;
    if (left <= 0) throw new Error('this answer has used its sandbox time; its tables cannot be described');
    const timeoutMs = Math.min(this.limits.statementTimeoutMs, left);
    const started = Date.now();
    let interrupted = false;
    const timer = setTimeout(() => {
      interrupted = true;
      this.connection.interrupt();
    }, timeoutMs);
    this.running = true;
    try {
      return await describeTables(this.connection);
    } catch (error) {
      if (interrupted) throw new Error(`describing the tables took longer than ${timeoutMs / 1000} s`);
      throw error;
    } finally {
      clearTimeout(timer);
      this.running = false;
      this.usedMs += Date.now() - started;
    }
  }

  private async runNow(sql: string): Promise<SqlRunReport> {
    const started = Date.now();
    const refusal = this.refusal(sql);
    if (refusal) return { statements: [], notRun: 0, stopped: refusal, elapsedMs: 0 };
    const statements = splitSqlStatements(sql);
    if (statements.length > this.limits.maxStatementsPerCall) {
      return {
        statements: [],
        notRun: statements.length,
        stopped: `Too many statements in one call (${statements.length}; at most ${this.limits.maxStatementsPerCall}). Split the input into several calls.`,
        elapsedMs: 0,
      };
    }
    this.calls += 1;
    const budget = Math.min(this.limits.callTimeoutMs, this.limits.sessionBudgetMs - this.usedMs);
    const report = await this.runStatements(statements, started + budget);
    report.elapsedMs = Date.now() - started;
    this.usedMs += report.elapsedMs;
    return report;
  }

  private refusal(sql: string): string | undefined {
    if (sql.length > this.limits.maxSqlChars) {
      return `Input too long (${sql.length} characters; at most ${this.limits.maxSqlChars}). Use fewer, smaller statements: generate rows with range() instead of long VALUES lists.`;
    }
    if (this.calls >= this.limits.maxCallsPerSession) {
      return `This answer has used all its ${this.limits.maxCallsPerSession} sandbox calls. Finish the answer with what you have verified.`;
    }
    if (this.usedMs >= this.limits.sessionBudgetMs) {
      return `This answer has used its sandbox time (${Math.round(this.limits.sessionBudgetMs / 1000)} s). Finish the answer with what you have verified.`;
    }
    return undefined;
  }

  private async runStatements(statements: SqlStatement[], deadline: number): Promise<SqlRunReport> {
    const outcomes: StatementOutcome[] = [];
    const budget = { chars: this.limits.maxResultChars };
    for (const [index, statement] of statements.entries()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        return {
          statements: outcomes,
          notRun: statements.length - index,
          stopped: 'The call reached its time limit; the remaining statements were not run.',
          elapsedMs: 0,
        };
      }
      const outcome = await this.runStatement(
        statement,
        Math.min(this.limits.statementTimeoutMs, remaining),
        budget,
      );
      outcomes.push(outcome);
      if (!outcome.ok) return { statements: outcomes, notRun: statements.length - index - 1, elapsedMs: 0 };
    }
    return { statements: outcomes, notRun: 0, elapsedMs: 0 };
  }

  private async runStatement(
    statement: SqlStatement,
    timeoutMs: number,
    budget: { chars: number },
  ): Promise<StatementOutcome> {
    let interrupted = false;
    const timer = setTimeout(() => {
      interrupted = true;
      this.connection.interrupt();
    }, timeoutMs);
    this.running = true;
    try {
      const select = await selectColumns(this.connection, statement.text);
      if (select) return await runSelect(this.connection, this.limits, statement, select, budget);
      const reader = await this.connection.streamAndReadUntil(statement.text, this.limits.maxRows + 1);
      const isQuery = reader.returnType === ResultReturnType.QUERY_RESULT;
      const allColumns = isQuery ? reader.columnNames().map(shortName) : [];
      const columns = allColumns.slice(0, MAX_COLUMNS);
      if (allColumns.length > MAX_COLUMNS) columns.push(`… ${allColumns.length - MAX_COLUMNS} more columns`);
      const { rows, more } = isQuery ? boundedRows(reader, this.limits, budget) : { rows: [], more: false };
      return {
        ok: true,
        line: statement.line,
        kind: StatementType[reader.statementType] ?? firstKeyword(statement.text),
        rowsChanged: isQuery ? 0 : reader.rowsChanged,
        columns: isQuery ? columns : [],
        rows,
        moreRows: more || (isQuery && !reader.done),
      };
    } catch (error) {
      return failure(statement, error, interrupted ? timeoutMs : undefined);
    } finally {
      clearTimeout(timer);
      this.running = false;
    }
  }
}
