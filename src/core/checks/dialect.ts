import type { SqlDialect } from '../sandbox/sandbox.js';
import { type CodeBlock, proseLines } from './code-blocks.js';

/**
 * Why this file exists: a SQL block is checked in the dialect the answer declares, so the declaration
 * rules live in one place (and the README documents them):
 *
 * 1. The fence says it: ```` ```postgresql ````, ```` ```snowflake ````, or `sql` plus a dialect word:
 *    ```` ```sql postgres ````, ```` ```sql dialect=bigquery ````.
 * 2. Otherwise a line of the answer's prose declares it for every plain ```` ```sql ```` block:
 *    `Dialect: PostgreSQL`, `**SQL dialect:** Snowflake`, `Target dialect: BigQuery`.
 * 3. Otherwise the block has no declared dialect: it is run in DuckDB, and what DuckDB cannot run is
 *    "not checked" (never ✗: the SQL may be valid in the warehouse it was written for).
 */

const DIALECT_NAMES: Record<string, SqlDialect> = {
  duckdb: 'duckdb',
  postgres: 'postgres',
  postgresql: 'postgres',
  pg: 'postgres',
  pgsql: 'postgres',
  psql: 'postgres',
  plpgsql: 'postgres',
  snowflake: 'snowflake',
  bigquery: 'bigquery',
  bq: 'bigquery',
  googlesql: 'bigquery',
  redshift: 'redshift',
  mysql: 'mysql',
  mariadb: 'mariadb',
  tsql: 'tsql',
  't-sql': 'tsql',
  mssql: 'tsql',
  sqlserver: 'tsql',
  trino: 'trino',
  presto: 'trino',
  athena: 'athena',
  hive: 'hive',
  hiveql: 'hive',
  sqlite: 'sqlite',
  db2: 'db2',
  flinksql: 'flinksql',
  flink: 'flinksql',
};

/** Our dialect for a word (case-insensitive, spaces and punctuation around it ignored), if we know it. */
export function dialectFromWord(word: string): SqlDialect | undefined {
  const key = word
    .trim()
    .toLowerCase()
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .replace(/\s+/g, '');
  return Object.hasOwn(DIALECT_NAMES, key) ? DIALECT_NAMES[key] : undefined;
}

/** Fence languages that mean SQL (`sql` itself, or a dialect's name). */
export function isSqlLanguage(language: string): boolean {
  return language === 'sql' || dialectFromWord(language) !== undefined;
}

const PROSE_DECLARATION = /^[\s>*_#-]*(?:target\s+|sql\s+)*dialect[*_\s]*[:=][*_\s]*`?([A-Za-z][\w-]*)/i;

/** The dialect a line of the answer's prose declares for plain `sql` blocks (the first such line wins). */
export function answerDialect(markdown: string): SqlDialect | undefined {
  for (const line of proseLines(markdown)) {
    const word = PROSE_DECLARATION.exec(line)?.[1];
    if (word) return dialectFromWord(word);
  }
  return undefined;
}

/** The dialect a SQL block is checked in, and whether it was declared at all. */
export function blockDialect(block: CodeBlock, fromProse: SqlDialect | undefined): SqlDialect | undefined {
  if (block.language !== 'sql') return dialectFromWord(block.language);
  for (const word of block.info.split(/\s+/).slice(1)) {
    const value = word.replace(/^\{?(?:dialect\s*[:=]\s*)?/i, '').replace(/[},]$/, '');
    const dialect = dialectFromWord(value);
    if (dialect) return dialect;
  }
  return fromProse;
}
