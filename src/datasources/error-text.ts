import { maskText } from '../core/data-sources/pii-mask.js';

/**
 * Why this file exists: an engine's error can quote the data that caused it (`invalid input syntax for
 * type integer: "alice@example.com Alice Martin …"`, DuckDB's `Could not convert string 'a@x.com' to
 * INT32`), and error messages reach the model and the thread. For data errors the quoted values go,
 * the kind of error stays; every message is then masked like a cell.
 */

/**
 * Replaces quoted values with `…`: from the first to the last quote of each kind (a value may hold
 * quotes itself), then a quote left open (the value went on past the message's end) up to the end.
 */
export function withoutQuotedValues(message: string): string {
  return message
    .replace(/"[\s\S]*"/, '"…"')
    .replace(/'[\s\S]*'/, "'…'")
    .replace(/"(?!…")[^"]*$/, '"…')
    .replace(/'(?!…')[^']*$/, "'…");
}

/** The message's first line, masked where it holds PII. */
export function safeErrorText(message: string): string {
  return maskText(message.split('\n')[0] ?? '');
}

/** DuckDB's error kinds whose message quotes a value from the data. */
const DUCKDB_DATA_ERRORS = /^(Conversion|Invalid Input|Out of Range|Constraint|Mismatch Type) Error/i;

/** A DuckDB error message fit to show: values gone from data errors, masked, first line. */
export function duckDbErrorText(message: string): string {
  const trimmed = message.trim();
  return safeErrorText(DUCKDB_DATA_ERRORS.test(trimmed) ? withoutQuotedValues(trimmed) : trimmed);
}
