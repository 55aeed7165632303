import type { Expectation } from './check-definition.js';

/**
 * Why this file exists: one rule for whether a check run passed, shared by the answer's sandbox
 * validation and the scheduled runs against the team's source, so the two can never disagree. Pure.
 */

/** A query's result as a source returns it (rows capped; `truncated` when more existed). */
export interface CheckQueryResult {
  columns: string[];
  rows: (string | number | boolean | null)[][];
  truncated: boolean;
}

export interface CheckVerdict {
  passed: boolean;
  /** What was seen, for the failure post and the run history ("3 rows", "0.042", "no value"). */
  observed: string;
  /** The number judged, for value checks. */
  value?: number;
}

export function evaluateCheck(expectation: Expectation, result: CheckQueryResult): CheckVerdict {
  if (expectation.kind === 'no_rows') {
    const count = result.rows.length;
    const observed = result.truncated ? `more than ${count} rows` : `${count} row${count === 1 ? '' : 's'}`;
    return { passed: count === 0, observed };
  }
  if (result.rows.length !== 1 || result.columns.length === 0) {
    const count = result.truncated ? `more than ${result.rows.length}` : String(result.rows.length);
    return { passed: false, observed: `${count} rows where one value was expected` };
  }
  const cell = result.rows[0]?.[0] ?? null;
  const value = numeric(cell);
  if (value === undefined)
    return { passed: false, observed: cell === null ? 'no value (null)' : 'not a number' };
  const { min, max } = expectation;
  const passed = (min === undefined || value >= min) && (max === undefined || value <= max);
  return { passed, observed: String(value), value };
}

function numeric(cell: string | number | boolean | null): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  if (typeof cell === 'string' && /^\s*-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*$/i.test(cell)) return Number(cell);
  return undefined;
}
