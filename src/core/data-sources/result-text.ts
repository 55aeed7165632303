import type { ColumnProfile, ExplainPlan, QueryRows, TableDescription, TableList } from './data-source.js';

/**
 * PLACEHOLDER until eng's pii-mask.ts and format-results.ts are merged: the data tools render every
 * result through these functions only, so the merge swaps the bodies, not the callers.
 */
const MAX_CHARS = 8_000;
const cut = (text: string) => (text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text);

export function tablesText(list: TableList): string {
  return cut(JSON.stringify(list));
}
export function descriptionText(description: TableDescription): string {
  return cut(JSON.stringify(description));
}
export function rowsText(rows: QueryRows): string {
  return cut(JSON.stringify(rows));
}
export function profilesText(profiles: ColumnProfile[]): string {
  return cut(JSON.stringify(profiles));
}
export function planText(plan: ExplainPlan): string {
  return cut(plan.text);
}
