/**
 * Why this file exists: the tables an answer's DDL created, as the sandbox's database describes them
 * (names and types are DuckDB's own, not re-parsed from the text). The data dictionary is built from
 * this. Pure types.
 */

export interface ColumnSchema {
  name: string;
  /** DuckDB's type, e.g. BIGINT, DECIMAL(12,2), VARCHAR. */
  type: string;
  nullable: boolean;
  /** 1-based position in the table. */
  position: number;
  primaryKey: boolean;
  unique: boolean;
  /** `schema.table.column` this column references (a FOREIGN KEY), if any. */
  references?: string;
  /** A `COMMENT ON COLUMN` text, if the DDL had one. */
  comment?: string;
}

export interface TableSchema {
  /** The schema, e.g. `main`, `analytics`. */
  schema: string;
  name: string;
  /** A `COMMENT ON TABLE` text, if the DDL had one. */
  comment?: string;
  columns: ColumnSchema[];
}

export interface TablesReport {
  tables: TableSchema[];
  /** True when there were more tables or columns than the sandbox returns (the rest is left out). */
  truncated: boolean;
}
