import type { DuckDBValue } from '@duckdb/node-api';
import type { StatementOutcome } from '../core/sandbox/sandbox.js';
import type { SqlStatement } from '../core/sandbox/split-sql.js';

/**
 * Why this file exists: what a sandbox statement gives back is text the model reads, so every piece is
 * bounded here: a cell, a column name (a PIVOT makes names of any length from its data), an error line.
 * Runs in the sandbox child (src/sandbox/duckdb-session.ts).
 */

const MAX_ERROR_CHARS = 300;
/** Characters kept of a result column's name. */
const MAX_NAME_CHARS = 120;

/** A column name cut to MAX_NAME_CHARS (a PIVOT makes names of any length from its data). */
export function shortName(name: string): string {
  return cellText(name, MAX_NAME_CHARS) ?? '';
}

/** DuckDB's own text for every value (BIGINT, DECIMAL, HUGEINT, dates, lists, structs): plain JSON strings. */
export function cellText(value: DuckDBValue, maxChars: number): string | null {
  if (value === null) return null;
  const text = typeof value === 'string' ? value : String(value);
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

export function firstKeyword(sql: string): string {
  return (
    /^[\s(]*([A-Za-z]+)/
      .exec(sql.replace(/^(?:\s*(?:--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, ''))?.[1]
      ?.toUpperCase() ?? 'SQL'
  );
}

export function failure(
  statement: SqlStatement,
  error: unknown,
  interruptedAfterMs?: number,
): StatementOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const at = /\nLINE (\d+):/.exec(message);
  const errorLine = at ? statement.line + Number(at[1]) - 1 : statement.line;
  const kind = firstKeyword(statement.text);
  if (interruptedAfterMs !== undefined) {
    const seconds = Math.round(interruptedAfterMs / 100) / 10;
    return {
      ok: false,
      line: statement.line,
      kind,
      error: `Interrupted: the statement ran longer than ${seconds} s, the sandbox's limit. Use fewer rows (a few hundred are enough) or a cheaper query.`,
      errorLine: statement.line,
    };
  }
  return { ok: false, line: statement.line, kind, error: firstErrorLine(message), errorLine };
}

/** DuckDB's first error line, without the "Failed to extract statements: " wrapper. */
export function firstErrorLine(message: string): string {
  const first = (message.split('\n')[0] ?? '').replace(/^Failed to extract statements: /, '').trim();
  return first.length > MAX_ERROR_CHARS ? `${first.slice(0, MAX_ERROR_CHARS - 1)}…` : first;
}
