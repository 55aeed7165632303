/**
 * Why this file exists: the read-only guard for DuckDB, on DuckDB's own parser. `json_serialize_sql`
 * serialises SELECT statements only (anything else, and a parse error, comes back as an error object), so
 * one parsed SELECT is the only thing that passes; the tree is then walked for what a SELECT could still
 * reach: table functions other than a few generators (read_csv of another path, glob, query(), pragma_…,
 * duckdb_settings() that would show the configured paths), scalar functions like getenv/current_setting,
 * and tables named by a path or in another schema. DuckDB's settings (no external access but the
 * configured files, locked configuration) stop whatever this misses. Pure: takes the JSON DuckDB printed.
 */

const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);
const DENIED_FUNCTIONS = new Set([
  'getenv',
  'current_setting',
  'current_database',
  'current_schema',
  'query',
  'query_table',
]);
const DENIED_FUNCTION_PREFIXES = ['read_', 'duckdb_', 'pragma_', 'parquet_', 'glob', 'sniff_'];
const ALLOWED_SCHEMAS = new Set(['', 'main']);
const ALLOWED_CATALOGS = new Set(['', 'memory']);

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => typeof v === 'object' && v !== null;

export type DuckDbGuardOutcome = { ok: true } | { ok: false; reason: string };

function walk(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const reason = walk(item);
      if (reason) return reason;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  if (node.type === 'TABLE_FUNCTION' && isObject(node.function)) {
    const name = String(node.function.function_name ?? '').toLowerCase();
    if (!ALLOWED_TABLE_FUNCTIONS.has(name)) {
      return `the table function ${name}() is not allowed: query the source's views`;
    }
  }
  if (node.class === 'FUNCTION' && typeof node.function_name === 'string') {
    const name = node.function_name.toLowerCase();
    if (DENIED_FUNCTIONS.has(name) || DENIED_FUNCTION_PREFIXES.some((p) => name.startsWith(p))) {
      return `the function ${name}() is not allowed in a read-only tool`;
    }
  }
  if (node.type === 'BASE_TABLE') {
    const table = String(node.table_name ?? '');
    if (/[/\\:.]/.test(table) || table.includes('*')) return "tables are the source's views, not file paths";
    if (!ALLOWED_SCHEMAS.has(String(node.schema_name ?? '').toLowerCase())) {
      return `the schema ${String(node.schema_name)} is not readable through this tool`;
    }
    if (!ALLOWED_CATALOGS.has(String(node.catalog_name ?? '').toLowerCase())) {
      return "only the source's own views are readable";
    }
  }
  for (const value of Object.values(node)) {
    const reason = walk(value);
    if (reason) return reason;
  }
  return undefined;
}

/** Judges `json_serialize_sql`'s output for one statement. */
export function judgeDuckDbTree(json: string): DuckDbGuardOutcome {
  let tree: { error?: boolean; error_type?: string; error_message?: string; statements?: unknown[] };
  try {
    tree = JSON.parse(json) as typeof tree;
  } catch {
    return { ok: false, reason: 'the statement could not be checked' };
  }
  if (tree.error) {
    const message = String(tree.error_message ?? 'not a SELECT');
    if (/Only SELECT statements/i.test(message)) {
      return { ok: false, reason: 'only one SELECT (or WITH … SELECT) statement is allowed' };
    }
    return { ok: false, reason: `not a valid DuckDB SELECT (${message.split('\n')[0]})` };
  }
  const statements = tree.statements ?? [];
  if (statements.length !== 1) return { ok: false, reason: 'exactly one statement is allowed' };
  const reason = walk(statements[0]);
  return reason ? { ok: false, reason } : { ok: true };
}
