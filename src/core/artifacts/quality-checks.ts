import type { CodeBlock } from '../checks/code-blocks.js';
import { isSqlLanguage } from '../checks/dialect.js';
import { splitSqlStatements } from '../sandbox/split-sql.js';

/**
 * Why this file exists: the data dictionary says which checks cover each column. A check is one
 * statement of an answer's SQL quality-check block: a SQL block whose fence or leading comment says it
 * checks, tests or validates something. Matching is simple on purpose (the column's name and its table's
 * name both appear in the check as words), so it can over-report a check that merely mentions a column,
 * never invent one. Pure.
 */

export interface QualityCheck {
  /** Its leading `-- comment` (e.g. `orders.amount is never negative`), else `check <block>.<n>`. */
  name: string;
  sql: string;
}

/** Whole words, where `_`, `-` and `.` also separate words (`quality_checks.sql`, `dq-tests`). */
const CHECK_WORDS =
  /(?<![a-z])(?:checks?|tests?|quality|asserts?|assertions?|expect(?:ations?)?|validat[a-z]*|dq)(?![a-z])/i;
const NOT_QUERIES = /^\s*(?:create|insert|update|delete|drop|alter|copy|comment|merge|truncate|grant)\b/i;

export function qualityChecks(blocks: CodeBlock[]): QualityCheck[] {
  const checks: QualityCheck[] = [];
  for (const block of blocks) {
    if (!isSqlLanguage(block.language)) continue;
    const leading = /^(?:\s*--[^\n]*\n?)+/.exec(block.body)?.[0] ?? '';
    if (!CHECK_WORDS.test(block.info) && !CHECK_WORDS.test(leading)) continue;
    let n = 0;
    for (const statement of splitSqlStatements(block.body)) {
      const code = withoutComments(statement.text);
      if (code.trim() === '' || NOT_QUERIES.test(code)) continue;
      n += 1;
      const comment = lastComment(block.body, statement.text);
      checks.push({ name: comment ?? `check ${block.index}.${n}`, sql: code });
    }
  }
  return checks;
}

/** The checks whose SQL names both the table and the column (case-insensitive, as whole words). */
export function checksCovering(checks: QualityCheck[], table: string, column: string): string[] {
  const tableWord = wordPattern(table);
  const columnWord = wordPattern(column);
  return checks.filter((c) => tableWord.test(c.sql) && columnWord.test(c.sql)).map((c) => c.name);
}

function wordPattern(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w$])"?${escaped}"?(?![\\w$])`, 'i');
}

function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/** The `--` comment line right above (or starting) the statement, if any, as its name. */
function lastComment(body: string, statement: string): string | undefined {
  const inside = /^\s*--\s*(.+)$/m.exec(statement.split('\n').find((l) => l.trim() !== '') ?? '')?.[1];
  if (inside) return clean(inside);
  const at = body.indexOf(statement);
  if (at <= 0) return undefined;
  const before = body.slice(0, at).trimEnd().split('\n').pop() ?? '';
  const comment = /^\s*--\s*(.+)$/.exec(before)?.[1];
  return comment ? clean(comment) : undefined;
}

function clean(text: string): string {
  const one = text.trim().replace(/\s+/g, ' ');
  return one.length > 80 ? `${one.slice(0, 79)}…` : one;
}
