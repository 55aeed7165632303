import type { ColumnProfile, ExplainPlan, QueryRows, TableDescription, TableList } from './data-source.js';
import {
  formatDescription,
  formatPlan,
  formatProfiles,
  formatRows,
  formatTableList,
} from './format-results.js';
import { maskPersonalRows, type PersonalRead, personalReadNotice } from './pii-exposure.js';
import { maskProfiles, maskRows, maskText } from './pii-mask.js';

/**
 * Why this file exists: every data tool result reaches the model through here, masked (pii-mask.ts:
 * personal data by column name and by content) and then formatted to the answer's character budget
 * (format-results.ts, which says what it cut). Masking comes first, so no cut can expose a value.
 */

export function tablesText(list: TableList, budget: number): string {
  return formatTableList(list, budget);
}

/**
 * Comments, defaults and index definitions are free text an engineer wrote (a partial index's
 * `WHERE email <> 'ceo@…'`): masked where they hold PII.
 */
export function descriptionText(description: TableDescription, budget: number): string {
  const masked: TableDescription = {
    ...description,
    indexes: description.indexes.map((index) => maskText(index)),
    ...(description.comment !== undefined ? { comment: maskText(description.comment) } : {}),
    columns: description.columns.map((column) => ({
      ...column,
      ...(column.comment !== undefined ? { comment: maskText(column.comment) } : {}),
      ...(column.default !== undefined ? { default: maskText(column.default) } : {}),
    })),
  };
  return formatDescription(masked, budget);
}

/** A sample of one table: its name decides whether a plain `name` column is a person's. */
export function sampleText(rows: QueryRows, table: string, budget: number): string {
  return formatRows(maskRows(rows, table), budget);
}

/**
 * A query's rows: no single table is known, so a plain `name` column is masked too. When the query
 * reads a table with personal columns (`personal`), every non-numeric column is masked whole first,
 * and the model is told why (pii-exposure.ts).
 */
export function queryText(rows: QueryRows, budget: number, personal: PersonalRead[] = []): string {
  if (personal.length === 0) return formatRows(maskRows(rows), budget);
  const masked = maskPersonalRows(rows);
  const notice = personalReadNotice(personal, masked.maskedColumns);
  return `${notice}\n${formatRows(maskRows(masked), Math.max(budget - notice.length - 1, 200))}`;
}

/** Aggregates only; min, max and top values are masked like cells. */
export function profilesText(table: string, profiles: ColumnProfile[], budget: number): string {
  const bare = table.slice(table.lastIndexOf('.') + 1);
  return formatProfiles(table, maskProfiles(profiles, bare), budget);
}

/** A plan quotes the statement's literals and index predicates: masked where they hold PII. */
export function planText(plan: ExplainPlan, budget: number): string {
  return formatPlan({ ...plan, text: maskText(plan.text) }, budget);
}
