import type { SqlRunReport, StatementOutcome } from './sandbox.js';

/**
 * Why this file exists: what the model reads back from `run_sql`. Compact (consecutive successful
 * statements without results share one line) and bounded (the child already capped rows and cells; this
 * caps the whole text), so one call can never flood the conversation. Pure.
 */

export const MAX_REPORT_CHARS = 8_000;

type Success = Extract<StatementOutcome, { ok: true }>;

function lines(from: number, to: number): string {
  return from === to ? `line ${from}` : `lines ${from}–${to}`;
}

function quietGroup(group: Success[]): string {
  const first = group[0];
  const last = group[group.length - 1];
  if (!first || !last) return '';
  const kinds = new Map<string, number>();
  for (const s of group) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
  const kindText = [...kinds].map(([kind, n]) => (n === 1 ? kind : `${kind} ×${n}`)).join(', ');
  const changed = group.reduce((sum, s) => sum + s.rowsChanged, 0);
  const count = group.length === 1 ? kindText : `${group.length} statements (${kindText})`;
  return `${lines(first.line, last.line)}: ${count} ok${changed > 0 ? `, ${changed} rows changed` : ''}`;
}

function queryResult(s: Success): string[] {
  const shown = s.rows.length;
  const rowsText = s.moreRows
    ? `first ${shown} rows shown, more not shown`
    : `${shown} row${shown === 1 ? '' : 's'}`;
  const out = [`line ${s.line}: ${s.kind}, ${rowsText}`];
  if (s.columns.length > 0) out.push(`  ${s.columns.join(' | ')}`);
  for (const row of s.rows) out.push(`  ${row.map((cell) => cell ?? 'NULL').join(' | ')}`);
  return out;
}

export function formatRunReport(report: SqlRunReport): { text: string; isError: boolean } {
  const out: string[] = [];
  let quiet: Success[] = [];
  const flush = () => {
    if (quiet.length > 0) out.push(quietGroup(quiet));
    quiet = [];
  };
  let failed = false;
  for (const s of report.statements) {
    if (s.ok && s.columns.length === 0) {
      quiet.push(s);
      continue;
    }
    flush();
    if (s.ok) out.push(...queryResult(s));
    else {
      failed = true;
      const where =
        s.errorLine === s.line ? `line ${s.line}` : `line ${s.line} (error at line ${s.errorLine})`;
      out.push(`${where}: ${s.kind} FAILED: ${s.error}`);
    }
  }
  flush();
  if (report.notRun > 0) {
    out.push(
      `${report.notRun} later statement${report.notRun === 1 ? ' was' : 's were'} not run. Fix the error and send only the statements from the failed one on: what ran before it is still in the database.`,
    );
  }
  if (report.stopped) out.push(report.stopped);
  if (report.statements.length > 0)
    out.unshift(`Ran ${report.statements.length} statement(s) in ${report.elapsedMs} ms.`);
  const text = out.join('\n');
  return {
    text:
      text.length > MAX_REPORT_CHARS
        ? `${text.slice(0, MAX_REPORT_CHARS - 40)}\n… (output cut at ${MAX_REPORT_CHARS} characters)`
        : text,
    isError: failed || report.stopped !== undefined,
  };
}
