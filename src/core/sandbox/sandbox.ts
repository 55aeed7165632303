import type { TablesReport } from '../artifacts/table-schema.js';
import type { FileLoadOutcome, FileToLoad } from '../files/loaded-file.js';

/**
 * Why this file exists: the port between the bot and its SQL sandbox. The agent (through `run_sql`) and
 * the block checker run SQL in a throw-away database; where that database lives (a DuckDB child process
 * today, see src/sandbox/) is an adapter detail. Core code depends only on these types. No SDK imports.
 */

/** Every limit of the sandbox; DEFAULT_SANDBOX_LIMITS holds the defaults (env wiring comes later). */
export interface SandboxLimits {
  /** DuckDB's own `memory_limit` for each session's database. */
  memoryLimit: string;
  /** DuckDB worker threads per session's database. */
  threads: number;
  /** A statement still running after this is interrupted (`connection.interrupt()`). */
  statementTimeoutMs: number;
  /** One call (all its statements) may run at most this long; the rest is not run. */
  callTimeoutMs: number;
  /** The parent kills the child when a call has had no reply this long after callTimeoutMs. */
  killGraceMs: number;
  /** Total DuckDB time one session may use across its calls. */
  sessionBudgetMs: number;
  /** Calls one session may make. */
  maxCallsPerSession: number;
  /** Longest SQL input for one call, in characters. */
  maxSqlChars: number;
  /** Statements in one call. */
  maxStatementsPerCall: number;
  /** Rows returned per statement result; more rows are counted as "more", never sent. */
  maxRows: number;
  /** Characters kept of one cell value. */
  maxCellChars: number;
  /** Characters of result data (all rows of all statements of one call) returned. */
  maxResultChars: number;
  /** Sessions open at once (each in a child process of its own); more are refused as busy. */
  maxOpenSessions: number;
  /** The child ends when no session is open and nothing ran for this long. */
  idleMs: number;
  /** A session nobody used for this long is closed (a caller that forgot to close it). */
  sessionIdleMs: number;
  /**
   * A child exits when its resident memory passes this (a runaway allocation outside DuckDB's limit):
   * memoryLimit plus room for DuckDB and Node themselves (CHILD_RSS_HEADROOM_MB).
   */
  maxChildRssMb: number;
  /** Loading and profiling one shared file may take this long (not counted in sessionBudgetMs). */
  fileLoadTimeoutMs: number;
}

/** What a child needs besides its database: Node, DuckDB's code and the parsers (~105–150 MB measured). */
export const CHILD_RSS_HEADROOM_MB = 300;

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  memoryLimit: '256MB',
  threads: 1,
  statementTimeoutMs: 5_000,
  callTimeoutMs: 15_000,
  killGraceMs: 3_000,
  sessionBudgetMs: 45_000,
  maxCallsPerSession: 25,
  maxSqlChars: 60_000,
  maxStatementsPerCall: 200,
  maxRows: 30,
  maxCellChars: 120,
  maxResultChars: 6_000,
  maxOpenSessions: 4,
  idleMs: 20_000,
  sessionIdleMs: 10 * 60_000,
  maxChildRssMb: 256 + CHILD_RSS_HEADROOM_MB,
  fileLoadTimeoutMs: 60_000,
};

/** What one statement of a call did. `line` is the 1-based line of its first character in the input. */
export type StatementOutcome =
  | {
      ok: true;
      line: number;
      /** DuckDB's statement kind, e.g. SELECT, INSERT, CREATE. */
      kind: string;
      /** Rows inserted, updated or deleted (DML), else 0. */
      rowsChanged: number;
      /** Result columns (SELECT-like statements), else empty. */
      columns: string[];
      /** Up to maxRows rows; every value already a JSON-safe string or null. */
      rows: (string | null)[][];
      /** True when the result had more rows than were returned (or the data budget ran out). */
      moreRows: boolean;
    }
  | {
      ok: false;
      line: number;
      kind: string;
      /** DuckDB's first error line, e.g. `Parser Error: syntax error at or near "SELEC"`. */
      error: string;
      /** 1-based line of the error inside the whole input, when DuckDB says where. */
      errorLine: number;
    };

export interface SqlRunReport {
  statements: StatementOutcome[];
  /** Statements after a failed one, or past a limit, that were not run. */
  notRun: number;
  /** Why the call stopped early or did not run at all (a limit, a restart), if it did. */
  stopped?: string;
  elapsedMs: number;
}

/** One fresh in-memory database: state persists across the calls of the session, nothing else sees it. */
export interface SandboxSession {
  run(sql: string): Promise<SqlRunReport>;
  /**
   * The session's tables with their columns, keys and comments (for the data dictionary). Optional so
   * stand-in sessions in tests need not implement it; the child-process sandbox does.
   */
  describeTables?(): Promise<TablesReport>;
  /**
   * Loads files shared in the thread as tables (one outcome per file, in order), before the model's
   * first statement. The database itself never gets file access: see src/sandbox/file-loader.ts.
   */
  loadFiles?(files: readonly FileToLoad[], signal?: AbortSignal): Promise<FileLoadOutcome[]>;
  close(): Promise<void>;
}

export interface SqlSandbox {
  /** A new, empty database. Rejects with SandboxUnavailableError when the sandbox cannot take it. */
  openSession(): Promise<SandboxSession>;
}

/** The sandbox cannot open a session or run a call (busy, failed to start); the caller goes on without. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
}

/** Syntax checks in engines' own parsers (kept off the bot's process too: their code is large). */
export type ParseOutcome =
  | { ok: true }
  | { ok: false; error: string /** 1-based line inside the text, when known. */; line?: number }
  /** The parser has no support for this dialect or could not run. */
  | { ok: 'unsupported'; reason: string };

/** Dialects the parsers know, by our own names (see src/core/checks/dialect.ts). */
export type SqlDialect =
  | 'duckdb'
  | 'postgres'
  | 'snowflake'
  | 'bigquery'
  | 'redshift'
  | 'mysql'
  | 'mariadb'
  | 'tsql'
  | 'trino'
  | 'athena'
  | 'hive'
  | 'sqlite'
  | 'db2'
  | 'flinksql';

export interface CodeParsers {
  /** Parses SQL in a dialect; for postgres with PostgreSQL's own parser. */
  parseSql(dialect: SqlDialect, sql: string): Promise<ParseOutcome>;
  /** Parses every YAML document in the text. */
  parseYaml(text: string): Promise<ParseOutcome>;
}
