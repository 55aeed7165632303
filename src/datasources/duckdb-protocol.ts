import type { Cell } from '../core/data-sources/data-source.js';

/**
 * Why this file exists: the messages between a DuckDB source (the bot's process) and its child process
 * (duckdb-child.ts), Node IPC as JSON. Every request has an id; the child answers each exactly once.
 */

export interface DuckDbChildSettings {
  /** View name → absolute file path or glob (the only files the child may read). */
  paths: Record<string, string>;
  memoryLimitMb: number;
  statementTimeoutMs: number;
  maxCellChars: number;
  /** The child ends itself when its resident memory passes this. */
  maxRssMb: number;
}

export const DUCKDB_SETTINGS_ENV = 'DEB_DUCKDB_SOURCE';

export type DuckDbRequest =
  /** Model SQL: guarded (json_serialize_sql), then run with at most `maxRows` + 1 rows fetched. */
  | { id: number; op: 'query'; sql: string; maxRows: number }
  /** Model SQL under EXPLAIN (guarded the same way). */
  | { id: number; op: 'explain'; sql: string; analyze: boolean }
  /** The bot's own SQL (names checked and quoted by the bot): run as is, all rows. */
  | { id: number; op: 'internal'; sql: string }
  /** Each view's files: count, bytes, Parquet row counts. */
  | { id: number; op: 'views' };

export interface ViewFacts {
  name: string;
  files: number;
  sizeBytes: number;
  rowEstimate?: number;
  /** Why the view could not be created (no file matched, unreadable): paths removed. */
  problem?: string;
}

export type DuckDbReply =
  | {
      id: number;
      ok: true;
      columns?: string[];
      rows?: Cell[][];
      truncated?: boolean;
      text?: string;
      views?: ViewFacts[];
    }
  | { id: number; ok: false; error: string; refused?: boolean; timedOut?: boolean }
  | { id: -1; ok: false; fatal: string };

/** A request before the child wrapper gives it an id. */
export type DuckDbCall = DuckDbRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
