import type { StatementTables } from '../core/data-sources/pii-exposure.js';

/**
 * Why this file exists: which relations a PostgreSQL statement reads, as the server's own parser
 * (libpg-query) sees them — aliases, subqueries, quoted and unicode-escaped names (`U&"cust\006fmers"`)
 * and comments resolved exactly as PostgreSQL would, never by a regex. run_query uses it to decide
 * whether a result may carry personal data (src/core/data-sources/pii-exposure.ts). CTE names are
 * returned apart, so the caller can tell a CTE from a relation it does not know.
 */

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => typeof v === 'object' && v !== null;

/** Every RangeVar (schema-qualified or not) and every CTE name anywhere in the tree. */
function collect(node: unknown, found: StatementTables): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, found);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'RangeVar' && isObject(value) && typeof value.relname === 'string') {
      found.relations.push({
        ...(typeof value.schemaname === 'string' ? { schema: value.schemaname } : {}),
        table: value.relname,
      });
    }
    if (key === 'CommonTableExpr' && isObject(value) && typeof value.ctename === 'string') {
      found.cteNames.push(value.ctename);
    }
    collect(value, found);
  }
}

/** The relations a statement reads; throws when PostgreSQL's parser cannot read it. */
export async function postgresStatementTables(sql: string): Promise<StatementTables> {
  const tree = await (await libpgQuery()).parse(sql);
  const found: StatementTables = { relations: [], cteNames: [] };
  collect(tree, found);
  return found;
}

/** PostgreSQL's parser (WASM, ~15 MB resident): loaded on the first statement, not when the bot starts. */
function libpgQuery(): Promise<typeof import('libpg-query')> {
  return import('libpg-query');
}
