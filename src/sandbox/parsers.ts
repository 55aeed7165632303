import type { CodeParsers, ParseOutcome, SqlDialect } from '../core/sandbox/sandbox.js';
import { lineAt } from '../core/sandbox/split-sql.js';

/**
 * Why this file exists: the engines' own parsers behind the CodeParsers port. PostgreSQL blocks go to
 * libpg-query (PostgreSQL's parser compiled to WASM), other dialects to node-sql-parser, YAML to `yaml`.
 * Each library is imported on first use, and only inside the sandbox child (together ~70 MB resident).
 */

/** node-sql-parser's `database` option for each dialect it covers; DuckDB is checked by running it. */
const NODE_SQL_PARSER_DATABASE: Partial<Record<SqlDialect, string>> = {
  snowflake: 'Snowflake',
  bigquery: 'BigQuery',
  redshift: 'Redshift',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  tsql: 'TransactSQL',
  trino: 'Trino',
  athena: 'Athena',
  hive: 'Hive',
  sqlite: 'Sqlite',
  db2: 'DB2',
  flinksql: 'FlinkSQL',
};

const MAX_ERROR_CHARS = 300;

function clip(text: string): string {
  const first = (text.split('\n')[0] ?? '').trim();
  return first.length > MAX_ERROR_CHARS ? `${first.slice(0, MAX_ERROR_CHARS - 1)}…` : first;
}

/** libpg-query reports a byte offset; turn it into a line of the (UTF-16) text. */
function lineAtByte(text: string, byteOffset: number): number {
  const prefix = Buffer.from(text, 'utf8').subarray(0, Math.max(0, byteOffset)).toString('utf8');
  return lineAt(prefix, prefix.length);
}

export async function parsePostgres(sql: string): Promise<ParseOutcome> {
  const { parse } = await import('libpg-query');
  try {
    await parse(sql);
    return { ok: true };
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const message = details?.message ?? (error instanceof Error ? error.message : String(error));
    const position = details?.cursorPosition;
    return {
      ok: false,
      error: clip(message),
      ...(position === undefined ? {} : { line: lineAtByte(sql, position) }),
    };
  }
}

let duckdbParser: Promise<import('@duckdb/node-api').DuckDBConnection> | undefined;

/**
 * DuckDB's own parser without running anything (`extractStatements` parses, it does not bind): for DuckDB
 * blocks that could not run here because they read tables or files the sandbox does not have.
 */
export async function parseDuckDB(sql: string): Promise<ParseOutcome> {
  duckdbParser ??= (async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const { DEFAULT_SANDBOX_LIMITS } = await import('../core/sandbox/sandbox.js');
    const { sandboxSettings } = await import('./duckdb-session.js');
    const instance = await DuckDBInstance.create(':memory:', sandboxSettings(DEFAULT_SANDBOX_LIMITS));
    return instance.connect();
  })();
  const connection = await duckdbParser;
  try {
    await connection.extractStatements(sql);
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /\nLINE (\d+):/.exec(message);
    const first = clip(message.replace(/^Failed to extract statements: /, ''));
    return { ok: false, error: first, ...(at ? { line: Number(at[1]) } : {}) };
  }
}

export async function parseOtherDialect(dialect: SqlDialect, sql: string): Promise<ParseOutcome> {
  const database = NODE_SQL_PARSER_DATABASE[dialect];
  if (!database) return { ok: 'unsupported', reason: `no parser for ${dialect}` };
  const { default: nodeSqlParser } = await import('node-sql-parser');
  try {
    new nodeSqlParser.Parser().astify(sql, { database });
    return { ok: true };
  } catch (error) {
    const location = (error as { location?: { start?: { line?: number } } }).location;
    const line = location?.start?.line;
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: clip(message), ...(line === undefined ? {} : { line }) };
  }
}

export async function parseYamlDocuments(text: string): Promise<ParseOutcome> {
  const { parseAllDocuments } = await import('yaml');
  const parsed = parseAllDocuments(text);
  const documents = Array.isArray(parsed) ? parsed : [];
  for (const document of documents) {
    const error = document.errors[0];
    if (!error) continue;
    const line = error.linePos?.[0]?.line;
    // The message ends with "at line N, column M:"; the line is reported on its own.
    const message = clip(error.message).replace(/ at line \d+, column \d+:?$/, '');
    return { ok: false, error: message, ...(line === undefined ? {} : { line }) };
  }
  return { ok: true };
}

export function parseSqlIn(dialect: SqlDialect, sql: string): Promise<ParseOutcome> {
  if (dialect === 'postgres') return parsePostgres(sql);
  if (dialect === 'duckdb') return parseDuckDB(sql);
  return parseOtherDialect(dialect, sql);
}

/** The parsers as the port, in whatever process imports this file. */
export const localParsers: CodeParsers = {
  parseSql: (dialect, sql) => parseSqlIn(dialect, sql),
  parseYaml: parseYamlDocuments,
};
