import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnSchema, TableSchema, TablesReport } from '../core/artifacts/table-schema.js';

/**
 * Why this file exists: the data dictionary needs the tables an answer's DDL created, with DuckDB's own
 * names, types, nullability, keys and comments. Read from DuckDB's catalog functions (duckdb_tables,
 * duckdb_columns, duckdb_constraints), which unlike a `run` call are not cut to a few rows of text.
 * Temporary tables (scratch work) and views are left out. Runs in the sandbox child.
 */

/** More columns than this (over all tables) are left out and the report says it was truncated. */
export const MAX_DESCRIBED_COLUMNS = 1_000;

/** Columns named by one key that are read; names, types and comments are cut in SQL (a PIVOT can make
 * a column name of megabytes, which must never reach the child's heap, the IPC reply or a Slack file). */
const MAX_KEY_COLUMNS = 32;

const COLUMNS_SQL = `
SELECT left(t.schema_name, 128) AS schema_name, left(t.table_name, 128) AS table_name,
       left(t.comment, 500) AS table_comment, left(c.column_name, 128) AS column_name, c.column_index,
       left(c.data_type, 256) AS data_type, c.is_nullable, left(c.comment, 500) AS column_comment
FROM duckdb_tables() AS t
JOIN duckdb_columns() AS c
  ON c.database_name = t.database_name AND c.schema_name = t.schema_name AND c.table_name = t.table_name
WHERE NOT t.internal AND NOT t.temporary
ORDER BY t.schema_name, t.table_name, c.column_index
LIMIT ${MAX_DESCRIBED_COLUMNS + 1}`;

const KEYS_SQL = `
SELECT left(schema_name, 128) AS schema_name, left(table_name, 128) AS table_name, constraint_type,
       list_transform(constraint_column_names[1:${MAX_KEY_COLUMNS}], n -> left(n, 128)) AS constraint_column_names,
       left(referenced_table, 128) AS referenced_table,
       list_transform(referenced_column_names[1:${MAX_KEY_COLUMNS}], n -> left(n, 128)) AS referenced_column_names
FROM duckdb_constraints()
WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
LIMIT ${MAX_DESCRIBED_COLUMNS}`;

type Json = Record<string, unknown>;

export async function describeTables(connection: DuckDBConnection): Promise<TablesReport> {
  const columns = (await connection.runAndReadAll(COLUMNS_SQL)).getRowObjectsJson() as Json[];
  const keys = (await connection.runAndReadAll(KEYS_SQL)).getRowObjectsJson() as Json[];
  const truncated = columns.length > MAX_DESCRIBED_COLUMNS;
  const tables = new Map<string, TableSchema>();
  for (const row of columns.slice(0, MAX_DESCRIBED_COLUMNS)) {
    const id = `${row.schema_name}.${row.table_name}`;
    let table = tables.get(id);
    if (!table) {
      table = { schema: String(row.schema_name), name: String(row.table_name), columns: [] };
      if (typeof row.table_comment === 'string' && row.table_comment !== '')
        table.comment = row.table_comment;
      tables.set(id, table);
    }
    const column: ColumnSchema = {
      name: String(row.column_name),
      type: String(row.data_type),
      nullable: row.is_nullable === true,
      position: Number(row.column_index),
      primaryKey: false,
      unique: false,
    };
    if (typeof row.column_comment === 'string' && row.column_comment !== '')
      column.comment = row.column_comment;
    table.columns.push(column);
  }
  for (const key of keys) applyKey(tables.get(`${key.schema_name}.${key.table_name}`), key);
  return { tables: [...tables.values()], truncated };
}

function applyKey(table: TableSchema | undefined, key: Json): void {
  if (!table) return;
  const names = Array.isArray(key.constraint_column_names) ? key.constraint_column_names.map(String) : [];
  const referenced = Array.isArray(key.referenced_column_names)
    ? key.referenced_column_names.map(String)
    : [];
  names.forEach((name, i) => {
    const column = table.columns.find((c) => c.name === name);
    if (!column) return;
    if (key.constraint_type === 'PRIMARY KEY') column.primaryKey = true;
    else if (key.constraint_type === 'UNIQUE') column.unique = true;
    // DuckDB keeps foreign keys within one schema, so the referenced table is in the table's schema.
    else column.references = `${table.schema}.${key.referenced_table}.${referenced[i] ?? name}`;
  });
}
