import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBResultReader } from '@duckdb/node-api';
import { StatementType } from '@duckdb/node-api';
import type { SandboxLimits, StatementOutcome } from '../core/sandbox/sandbox.js';
import type { SqlStatement } from '../core/sandbox/split-sql.js';
import { cellText, shortName } from './statement-outcome.js';

/**
 * Why this file exists: a result never reaches JavaScript whole. A SELECT is wrapped so DuckDB itself
 * cuts every value, and rows are read one cell at a time up to the row, column and character limits.
 * Runs in the sandbox child (src/sandbox/duckdb-session.ts).
 */

/** Columns shown per result; a wider result says how many more it had. */
export const MAX_COLUMNS = 40;

/**
 * The column names of a SELECT (DESCRIBE, SHOW and SUMMARIZE are SELECTs too), or undefined for any
 * other statement. Preparing binds without running; statements DuckDB expands into several (PIVOT)
 * cannot be prepared and take the general path.
 */
export async function selectColumns(
  connection: DuckDBConnection,
  sql: string,
): Promise<string[] | undefined> {
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await connection.prepare(sql);
  } catch (error) {
    if (error instanceof Error && /Cannot prepare multiple statements/.test(error.message)) return undefined;
    throw error;
  }
  try {
    if (prepared.statementType !== StatementType.SELECT || prepared.columnCount === 0) return undefined;
    return Array.from({ length: prepared.columnCount }, (_, i) => shortName(prepared.columnName(i)));
  } finally {
    prepared.destroySync();
  }
}

/**
 * Runs a SELECT wrapped so DuckDB itself casts every shown value to text, cuts it and stops after
 * maxRows + 1 rows: a result of huge strings or lists never becomes huge JavaScript values in the child.
 * The subquery keeps the statement's row order (DuckDB preserves insertion order under a LIMIT).
 */
export async function runSelect(
  connection: DuckDBConnection,
  limits: SandboxLimits,
  statement: SqlStatement,
  names: string[],
  budget: { chars: number },
): Promise<StatementOutcome> {
  const shown = names.slice(0, MAX_COLUMNS);
  const casts = shown.map((_, i) => `left(CAST(#${i + 1} AS VARCHAR), ${limits.maxCellChars + 1})`);
  const wrapped = `SELECT ${casts.join(', ')} FROM (${statement.text}\n) AS sandbox_result LIMIT ${limits.maxRows + 1}`;
  const reader = await connection.streamAndReadUntil(wrapped, limits.maxRows + 1);
  const { rows, more } = boundedRows(reader, limits, budget, names.length);
  if (names.length > MAX_COLUMNS) shown.push(`… ${names.length - MAX_COLUMNS} more columns`);
  return {
    ok: true,
    line: statement.line,
    kind: 'SELECT',
    rowsChanged: 0,
    columns: shown,
    rows,
    moreRows: more,
  };
}

/**
 * At most maxRows rows and MAX_COLUMNS columns, each cell cut to maxCellChars as soon as it is read:
 * converting whole result chunks at once let one SELECT of a few huge strings exhaust the child's heap.
 */
export function boundedRows(
  reader: DuckDBResultReader,
  limits: SandboxLimits,
  budget: { chars: number },
  totalColumns = reader.columnCount,
): { rows: (string | null)[][]; more: boolean } {
  const rows: (string | null)[][] = [];
  const rowCount = Math.min(reader.currentRowCount, limits.maxRows);
  const columnCount = Math.min(reader.columnCount, MAX_COLUMNS);
  for (let r = 0; r < rowCount; r += 1) {
    const cells: (string | null)[] = [];
    for (let c = 0; c < columnCount; c += 1) cells.push(cellText(reader.value(c, r), limits.maxCellChars));
    if (totalColumns > MAX_COLUMNS) cells.push('…');
    const size = cells.reduce((sum, cell) => sum + (cell?.length ?? 4) + 3, 0);
    if (size > budget.chars) return { rows, more: true };
    budget.chars -= size;
    rows.push(cells);
  }
  return { rows, more: reader.currentRowCount > limits.maxRows };
}
