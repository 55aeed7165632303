import type { ColumnProfile, ExplainPlan, QueryRows, TableDescription, TableList } from './data-source.js';

/**
 * PLACEHOLDER until eng's pii-mask.ts and format-results.ts are merged: the data tools render every
 * result through these functions only, so the merge swaps the bodies, not the callers.
 */
const cut = (text: string, budget: number) => (text.length > budget ? `${text.slice(0, budget)}…` : text);

export function tablesText(list: TableList, budget: number): string {
  return cut(JSON.stringify(list), budget);
}
export function descriptionText(description: TableDescription, budget: number): string {
  return cut(JSON.stringify(description), budget);
}
export function sampleText(rows: QueryRows, _table: string, budget: number): string {
  return cut(JSON.stringify(rows), budget);
}
export function queryText(rows: QueryRows, budget: number): string {
  return cut(JSON.stringify(rows), budget);
}
export function profilesText(table: string, profiles: ColumnProfile[], budget: number): string {
  return cut(`${table} ${JSON.stringify(profiles)}`, budget);
}
export function planText(plan: ExplainPlan, budget: number): string {
  return cut(plan.text, budget);
}
