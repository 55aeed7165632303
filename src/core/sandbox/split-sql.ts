/**
 * Why this file exists: the sandbox runs a multi-statement input one statement at a time, so it can say
 * which statement failed and on which line of the input (DuckDB parses a whole input before running any of
 * it, and its error positions are relative to the text it was given). Pure.
 *
 * Splits on `;` outside quotes ('…', "…"), dollar-quoted bodies ($$…$$, $tag$…$tag$), `--` line comments and
 * `/* … *\/` block comments (nested, as PostgreSQL allows). Pieces holding only whitespace and comments are
 * dropped. A mis-split is harmless: DuckDB reports the piece's parse error at the right line.
 */

export interface SqlStatement {
  /** The statement text, from its first non-blank character up to (not including) its `;`. */
  text: string;
  /** 1-based line of the statement's first character within the whole input. */
  line: number;
}

const DOLLAR_TAG = /\$[A-Za-z_]?[A-Za-z0-9_]*\$/y;

/** Index just past a quoted run starting at `start` (the opening quote); doubled quotes escape themselves. */
function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return sql.length;
}

function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth += 1;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

function skipLineComment(sql: string, start: number): number {
  const end = sql.indexOf('\n', start);
  return end < 0 ? sql.length : end;
}

/** A dollar quote opens only where a new token can start (not inside an identifier like a$1$). */
function dollarTagAt(sql: string, i: number): string | undefined {
  const before = i > 0 ? (sql[i - 1] ?? '') : '';
  if (/[A-Za-z0-9_]/.test(before)) return undefined;
  DOLLAR_TAG.lastIndex = i;
  return DOLLAR_TAG.exec(sql)?.[0];
}

export function splitSqlStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let start = 0;
  let hasCode = false;
  const finish = (end: number) => {
    if (hasCode) {
      const from = firstNonBlank(sql, start);
      statements.push({ text: sql.slice(from, end).trimEnd(), line: lineAt(sql, from) });
    }
    start = end + 1;
    hasCode = false;
  };
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === '-' && sql[i + 1] === '-') {
      i = skipLineComment(sql, i);
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
      continue;
    }
    if (ch === ';') {
      finish(i);
      i += 1;
      continue;
    }
    if (ch !== undefined && !/\s/.test(ch)) hasCode = true;
    if (ch === "'" || ch === '"') {
      i = skipQuoted(sql, i, ch);
      continue;
    }
    if (ch === '$') {
      const tag = dollarTagAt(sql, i);
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? sql.length : close + tag.length;
        continue;
      }
    }
    i += 1;
  }
  finish(sql.length);
  return statements;
}

function firstNonBlank(sql: string, from: number): number {
  let i = from;
  while (i < sql.length && /\s/.test(sql[i] ?? '')) i += 1;
  return i;
}

/** 1-based line number of the character at `offset`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}
