import { neutraliseMentions } from '../render/sanitise.js';
import type { ToolCall } from './agent-port.js';
import { plainStepText } from './progress.js';
import { RUN_SQL } from './sandbox/run-sql-tool.js';

/**
 * Why this file exists: while the agent's tools run, the thread's status says what it is doing
 * ("is running the quality checks on sample data…"), taken from the tool call itself: `run_sql`'s
 * optional `purpose`. The purpose is model text shown in Slack: one line, bounded, no markup, no link, no mention.
 */

export const SANDBOX_STATUS = 'is testing SQL in the sandbox…';
const MAX_PURPOSE_CHARS = 80;

/** The status for a round of tool calls, or undefined when no call has one. */
export function toolStatus(calls: readonly ToolCall[]): string | undefined {
  const sql = calls.find((call) => call.name === RUN_SQL);
  if (!sql) return undefined;
  const purpose = (sql.input as { purpose?: unknown } | null)?.purpose;
  if (typeof purpose !== 'string') return SANDBOX_STATUS;
  // The same plain text as the purpose's progress step: no markup, no link, no live mention.
  const plain = plainStepText(purpose, MAX_PURPOSE_CHARS);
  if (!plain) return SANDBOX_STATUS;
  const running = /^(running|checking|testing|creating|loading|building)\b/i.test(plain) ? '' : 'running ';
  return `is ${neutraliseMentions(`${running}${plain}`)}…`;
}
