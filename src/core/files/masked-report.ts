import { maskRows, maskText } from '../data-sources/pii-mask.js';
import type { SqlRunReport, StatementOutcome } from '../sandbox/sandbox.js';

/**
 * Why this file exists: once a sandbox session holds tables loaded from files people shared, what its
 * queries return is people's data, and it goes to the model (and may end up quoted in a post). Every
 * result cell passes the same masking as the data tools' query rows (by column name, and by content:
 * emails, phones, card numbers, national ids, IBANs), and error texts (which quote values) are masked too.
 *
 * Decision: the whole session is masked, including the tables the agent created itself (synthetic rows).
 * Telling them apart would need to know which tables a query read, and `CREATE TABLE t AS SELECT * FROM
 * customers_csv` would launder file data into an "agent" table; masking synthetic rows costs little (the
 * agent sees `<email>` where it wrote a fake address). Sessions without file tables are left as they are.
 */
export function maskRunReport(report: SqlRunReport): SqlRunReport {
  return {
    ...report,
    statements: report.statements.map(maskOutcome),
    ...(report.stopped !== undefined ? { stopped: maskText(report.stopped) } : {}),
  };
}

function maskOutcome(outcome: StatementOutcome): StatementOutcome {
  if (!outcome.ok) return { ...outcome, error: maskText(outcome.error) };
  if (outcome.rows.length === 0) return outcome;
  const masked = maskRows({ columns: outcome.columns, rows: outcome.rows, truncated: false });
  // Cells are text or null here (the sandbox already cast them); masking keeps them so.
  return {
    ...outcome,
    rows: masked.rows.map((row) => row.map((cell) => (cell === null ? null : String(cell)))),
  };
}
