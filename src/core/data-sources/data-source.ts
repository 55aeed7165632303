/**
 * Why this file exists: the port between the bot and a team's own data (a read-only warehouse or lake).
 * The agent's data tools (list, describe, sample, profile, EXPLAIN, query) call only these types; each
 * engine (PostgreSQL through `pg`, DuckDB over Parquet/CSV paths today; Snowflake, BigQuery or Redshift
 * later) is an adapter in src/datasources/. No SDK or driver imports here.
 *
 * Every adapter keeps the same promises, whatever the model or a user writes:
 * - read-only three times over: the engine's own parser admits one SELECT / WITH … SELECT / EXPLAIN
 *   statement (anything else throws `ReadOnlyRefusal` before the source sees it); it runs in a read-only
 *   transaction with a statement timeout; operators connect with a read-only role;
 * - bounded: rows, cell characters and run time are capped by `DataSourceLimits`;
 * - the connection string never leaves the adapter (not in errors, logs, Slack or the model's input).
 */

/** Engines an adapter exists for. */
export type DataSourceKind = 'postgres' | 'duckdb';

/** A source as people see it (`/data-engineer sources`): never its connection string or paths. */
export interface DataSourceInfo {
  name: string;
  kind: DataSourceKind;
  /** `EXPLAIN ANALYZE` runs the query: allowed only where the operator said so. */
  allowsAnalyze: boolean;
}

export interface DataSourceLimits {
  /** A statement still running after this is cancelled (server side and client side). */
  statementTimeoutMs: number;
  /** Rows a query returns at most; more are counted, never read in full. */
  maxRows: number;
  /** Rows a sample returns at most (the 20). */
  maxSampleRows: number;
  /** Characters kept of one cell value. */
  maxCellChars: number;
  /** Tables listed at most by `listTables`. */
  maxTables: number;
}

export const DEFAULT_DATA_SOURCE_LIMITS: DataSourceLimits = {
  statementTimeoutMs: 10_000,
  maxRows: 200,
  maxSampleRows: 20,
  maxCellChars: 200,
  maxTables: 500,
};

/** `schema.table` as the engine names it. */
export interface TableRef {
  schema: string;
  table: string;
}

export interface TableSummary extends TableRef {
  kind: 'table' | 'view' | 'materialized view' | 'external' | 'other';
  /** The engine's estimate (e.g. pg_class.reltuples); undefined when it has none. */
  rowEstimate?: number;
}

export interface TableList {
  tables: TableSummary[];
  /** More tables exist than `maxTables`. */
  truncated: boolean;
}

export interface ColumnDescription {
  name: string;
  type: string;
  nullable: boolean;
  default?: string;
  comment?: string;
}

export interface TableDescription extends TableRef {
  kind: TableSummary['kind'];
  columns: ColumnDescription[];
  /** Primary key column names, in key order (empty when none). */
  primaryKey: string[];
  foreignKeys: { columns: string[]; references: TableRef & { columns: string[] } }[];
  /** Index definitions as the engine prints them (e.g. pg_indexes.indexdef). */
  indexes: string[];
  rowEstimate?: number;
  sizeBytes?: number;
  comment?: string;
}

/** Rows as plain JSON values: bigint, decimals, dates and binary are already strings. */
export type Cell = string | number | boolean | null;

export interface QueryRows {
  columns: string[];
  rows: Cell[][];
  /** Rows beyond the cap existed (the count is not known exactly). */
  truncated: boolean;
}

export interface ColumnProfile {
  column: string;
  type: string;
  rows: number;
  /** Share of rows whose value is null, 0..1. */
  nullShare: number;
  distinct: number;
  min?: Cell;
  max?: Cell;
  /** The most frequent values with their counts: aggregates only, never row-level data. */
  topValues: { value: Cell; count: number }[];
}

export interface ExplainPlan {
  /** The plan as the engine prints it (text format). */
  text: string;
  analyzed: boolean;
}

/** One read-only source. Methods throw `ReadOnlyRefusal` or `DataSourceError`, never a driver error. */
export interface DataSource extends DataSourceInfo {
  listTables(options?: { schema?: string }): Promise<TableList>;
  describeTable(table: TableRef): Promise<TableDescription>;
  /** At most `min(limit, maxSampleRows)` rows, unmasked: the caller masks PII before anyone sees them. */
  sampleRows(table: TableRef, limit: number): Promise<QueryRows>;
  /** Every column when `columns` is undefined. */
  profileColumns(table: TableRef, columns?: string[]): Promise<ColumnProfile[]>;
  explain(sql: string, options?: { analyze?: boolean }): Promise<ExplainPlan>;
  query(sql: string): Promise<QueryRows>;
  /** Ends the source's connections; safe to call more than once. */
  close(): Promise<void>;
}

/** A statement the read-only guard did not admit; `reason` is short and safe to show the model. */
export class ReadOnlyRefusal extends Error {
  constructor(readonly reason: string) {
    super(`refused: ${reason}`);
    this.name = 'ReadOnlyRefusal';
  }
}

/**
 * The source failed (syntax error, timeout, unknown table, connection lost). `message` is the engine's
 * own words with connection details removed, safe to show the model; `timedOut` marks a cancelled run.
 */
export class DataSourceError extends Error {
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'DataSourceError';
  }
}

/** The configured sources by name (the composition root builds it from DATA_SOURCES). */
export interface DataSourceCatalog {
  list(): DataSourceInfo[];
  get(name: string): DataSource | undefined;
  closeAll(): Promise<void>;
}
