import { neutraliseMentions } from '../render/sanitise.js';
import type { ToolCall } from './agent-port.js';
import { DATA_TOOL } from './data-sources/data-tool-names.js';
import { RUN_SQL } from './sandbox/run-sql-tool.js';

/**
 * Why this file exists: while the agent works, its answer shows the steps it takes ("Reading the
 * thread ✓ · Asking security ✓ · Writing the solution…"), the way Slack's own agents do. A step's
 * text can come from the model (run_sql's purpose, a collaboration topic): it is made plain here, one
 * line, bounded, with no markup, no link and no mention, before it reaches Slack.
 */

export type StepStatus = 'in_progress' | 'complete' | 'error';

/** One step of an answer, shown as a task in the answer's progress. */
export interface ProgressStep {
  /** Stable within one answer: an update with the same id changes the same task. */
  id: string;
  title: string;
  details?: string;
  status: StepStatus;
}

const MAX_TITLE_CHARS = 80;
const MAX_DETAILS_CHARS = 120;

/** The title of the plan the steps form: while the agent works, and once the answer is complete. */
export const PLAN_TITLE_WORKING = 'Working on your request';
export const PLAN_TITLE_DONE = 'Done';

export const READING_THREAD_STEP: ProgressStep = {
  id: 'thread',
  title: 'Reading the thread',
  status: 'complete',
};
export const WRITING_STEP: ProgressStep = {
  id: 'writing',
  title: 'Writing the solution',
  status: 'in_progress',
};

/**
 * Model text made safe to show as a step (or a status): mentions are made inert, Slack's `<…>` markup
 * is dropped (a hidden link keeps only its label), URLs are cut out, markdown characters become spaces, and the
 * result is one line of at most `max` characters. Undefined when nothing readable is left.
 */
export function plainStepText(raw: unknown, max: number): string | undefined {
  if (typeof raw !== 'string') return undefined;
  // Mentions first, so a `<!channel>` stays visible but inert (`@\u200Bchannel`) instead of vanishing.
  const plain = neutraliseMentions(raw)
    .replace(/<([^<>]*)>/g, (_whole, inner: string) => {
      const bar = inner.indexOf('|');
      return bar < 0 ? ' ' : ` ${inner.slice(bar + 1)} `;
    })
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S*/gi, ' ')
    .replace(/\bwww\.\S*/gi, ' ')
    .replace(/[<>*_~`|\\[\]()]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.…]+$/, '');
  const safe = neutraliseMentions(plain).replace(/\s+/g, ' ').trim().slice(0, max).trim();
  return safe.length >= 3 ? safe : undefined;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The step one tool call shows while it runs (`n`: its place in the answer, for a unique id). */
export function toolStep(call: ToolCall, n: number): ProgressStep {
  const input = (call.input ?? {}) as Record<string, unknown>;
  const step = (title: string, details?: string): ProgressStep => ({
    id: `tool-${n}`,
    title,
    ...(details ? { details } : {}),
    status: 'in_progress',
  });
  switch (call.name) {
    case 'request_collaboration': {
      const role = plainStepText(input.role, 20);
      return step(role ? `Asking ${role}` : 'Asking for help', plainStepText(input.topic, MAX_DETAILS_CHARS));
    }
    case 'ask_clarifying_questions':
      return step('Preparing questions for you');
    case RUN_SQL: {
      const purpose = plainStepText(input.purpose, MAX_TITLE_CHARS);
      if (!purpose) return step('Testing SQL in the sandbox');
      const running = /^(running|checking|testing|creating|loading|building)\b/i.test(purpose)
        ? ''
        : 'Running ';
      return step(capitalised(`${running}${purpose}`).slice(0, MAX_TITLE_CHARS));
    }
    case 'publish_data_dictionary':
      return step('Publishing the data dictionary');
    case DATA_TOOL.listTables: {
      const schema = identifierText(input.schema);
      return step(schema ? `Listing the tables of ${schema}` : 'Listing the tables');
    }
    case DATA_TOOL.describeTable:
      return step(`Describing ${tableText(input)}`);
    case DATA_TOOL.sampleRows:
      return step(`Sampling rows of ${tableText(input)}`);
    case DATA_TOOL.profileColumns:
      return step(`Profiling ${tableText(input)}`);
    case DATA_TOOL.explainQuery:
      return step(input.analyze === true ? 'Reading the EXPLAIN ANALYZE plan' : 'Reading the EXPLAIN plan');
    case DATA_TOOL.runQuery:
      return step('Running a read-only query');
    default:
      return step('Using a tool');
  }
}

/**
 * A schema or table name from the model, as a step shows it: only the characters identifiers are
 * made of (so no markup, link or mention can survive), bounded.
 */
function identifierText(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const kept = raw.replace(/[^\w.$-]/g, '').slice(0, 60);
  return kept.length > 0 ? kept : undefined;
}

function tableText(input: Record<string, unknown>): string {
  const table = identifierText(input.table) ?? 'a table';
  const schema = identifierText(input.schema);
  return schema ? `${schema}.${table}` : table;
}

/**
 * The thread status that stands in for a step where the answer cannot show steps ("is asking
 * security…"); undefined for a finished step, or one that already has its status (run_sql's, see
 * tool-status.ts).
 */
export function stepStatus(step: ProgressStep, call?: ToolCall): string | undefined {
  if (step.status !== 'in_progress' || call?.name === RUN_SQL) return undefined;
  return `is ${step.title.charAt(0).toLowerCase()}${step.title.slice(1)}…`;
}
