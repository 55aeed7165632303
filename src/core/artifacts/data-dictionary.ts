import { z } from 'zod';
import { checksCovering, type QualityCheck } from './quality-checks.js';
import type { TableSchema } from './table-schema.js';

/**
 * Why this file exists: a data dictionary for the tables an answer introduces, built from what the sandbox
 * actually created (names, types, nullability and keys are DuckDB's, not re-read from the text) and the
 * descriptions the agent supplies. Pure.
 *
 * Descriptions come from a tool input (`publish_data_dictionary`, typed below) rather than from
 * `COMMENT ON` statements in the DDL: the tool carries PII flags, which COMMENT ON cannot; it keeps the
 * user's DDL free of dozens of comment statements; and it is validated (lengths, names) before use.
 * `COMMENT ON` texts the DDL does have are still used, as the fallback for a column the tool left out.
 */

const text = (max: number) => z.string().trim().min(1).max(max);

/** Tables one publish_data_dictionary call may describe, and the most a task keeps. */
export const MAX_DICTIONARY_TABLES = 50;

export const dataDictionaryInput = z.object({
  tables: z
    .array(
      z.object({
        table: text(200).describe('The table as created, e.g. "analytics.fct_orders" or "fct_orders".'),
        description: text(500).optional().describe('What one row is, its grain, its source.'),
        columns: z
          .array(
            z.object({
              name: text(200),
              description: text(300).optional(),
              pii: z.boolean().optional().describe('True when the column holds personal data.'),
            }),
          )
          .max(500)
          .default([]),
      }),
    )
    .min(1)
    .max(MAX_DICTIONARY_TABLES),
});

export type DataDictionaryInput = z.infer<typeof dataDictionaryInput>;

export interface DictionaryRow {
  /** `schema.table`, without the default `main.`. */
  table: string;
  column: string;
  type: string;
  nullable: boolean;
  /** e.g. `PK`, `UNIQUE`, `FK → analytics.customers.customer_id`, or ''. */
  key: string;
  description: string;
  pii: boolean;
  /** Names of the quality checks whose SQL names this table and column. */
  checks: string[];
}

export interface DataDictionary {
  /** One per column of every table, in table then column order. */
  rows: DictionaryRow[];
  /** Table descriptions, by the rows' table name ('' when none). */
  tableDescriptions: Map<string, string>;
  /** `schema.table` and `schema.table.column` entries that have no description, for the check line. */
  missing: string[];
  /** Tool entries that match no table or column the sandbox has (a typo, or a table not created). */
  unmatched: string[];
}

export function buildDataDictionary(
  tables: TableSchema[],
  input: DataDictionaryInput | undefined,
  checks: QualityCheck[] = [],
): DataDictionary {
  const rows: DictionaryRow[] = [];
  const tableDescriptions = new Map<string, string>();
  const missing: string[] = [];
  const described = new Set<DataDictionaryInput['tables'][number]>();
  const unmatched: string[] = [];
  for (const table of tables) {
    const name = tableName(table);
    const given = findTable(input, table, tables);
    if (given) described.add(given);
    const tableDescription = given?.description ?? table.comment ?? '';
    tableDescriptions.set(name, tableDescription);
    if (tableDescription === '') missing.push(name);
    for (const column of [...table.columns].sort((a, b) => a.position - b.position)) {
      const about = given?.columns.find((c) => same(c.name, column.name));
      const description = about?.description ?? column.comment ?? '';
      if (description === '') missing.push(`${name}.${column.name}`);
      rows.push({
        table: name,
        column: column.name,
        type: column.type,
        nullable: column.nullable,
        key: keyText(column),
        description,
        pii: about?.pii ?? false,
        checks: checksCovering(checks, table.name, column.name),
      });
    }
    for (const extra of given?.columns ?? []) {
      if (!table.columns.some((c) => same(c.name, extra.name))) unmatched.push(`${name}.${extra.name}`);
    }
  }
  for (const entry of input?.tables ?? []) if (!described.has(entry)) unmatched.push(entry.table);
  return { rows, tableDescriptions, missing, unmatched };
}

export function tableName(table: Pick<TableSchema, 'schema' | 'name'>): string {
  return table.schema === 'main' ? table.name : `${table.schema}.${table.name}`;
}

/** `schema.table` matches exactly; a bare `table` matches when only one schema has a table of that name. */
function findTable(
  input: DataDictionaryInput | undefined,
  table: TableSchema,
  all: TableSchema[],
): DataDictionaryInput['tables'][number] | undefined {
  const full = `${table.schema}.${table.name}`;
  const exact = input?.tables.find((t) => same(unquote(t.table), full));
  if (exact) return exact;
  const namesake = all.filter((t) => same(t.name, table.name)).length;
  return namesake === 1 ? input?.tables.find((t) => same(unquote(t.table), table.name)) : undefined;
}

function keyText(column: TableSchema['columns'][number]): string {
  const parts: string[] = [];
  if (column.primaryKey) parts.push('PK');
  if (column.unique) parts.push('UNIQUE');
  if (column.references) parts.push(`FK → ${column.references.replace(/^main\./, '')}`);
  return parts.join(', ');
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function unquote(name: string): string {
  return name.replace(/"/g, '');
}
