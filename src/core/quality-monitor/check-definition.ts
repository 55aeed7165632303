import { z } from 'zod';

/**
 * Why this file exists: a data-quality check the agent proposes in an answer's QA section (issue 17),
 * in the one shape the bot can run on a schedule and judge without a human: a read-only query and
 * what its result must look like. Pure.
 */

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a check's query must return to pass. */
export type Expectation =
  /** The query lists offending rows: it passes when there are none. */
  | { kind: 'no_rows' }
  /** The query returns one number (a null share, a count, hours since the last load): bounds inclusive. */
  | { kind: 'value_between'; min?: number; max?: number };

const NUMBER = String.raw`(-?\d+(?:\.\d+)?)`;
const NO_ROWS = /^(?:0|no|zero)\s+rows?$/i;
const BETWEEN = new RegExp(String.raw`^value\s+between\s+${NUMBER}\s+and\s+${NUMBER}$`, 'i');
const AT_MOST = new RegExp(String.raw`^value\s*(?:<=|≤|at most)\s*${NUMBER}$`, 'i');
const AT_LEAST = new RegExp(String.raw`^value\s*(?:>=|≥|at least)\s*${NUMBER}$`, 'i');
const EQUALS = new RegExp(String.raw`^value\s*(?:=|==|equals?|is)\s*${NUMBER}$`, 'i');

/**
 * Reads the forms the tool's description offers: "0 rows", "value between 0 and 0.01",
 * "value <= 5", "value >= 100", "value = 0". Undefined when the text is none of them.
 */
export function parseExpectation(text: string): Expectation | undefined {
  const t = text.trim().replace(/\s+/g, ' ');
  if (NO_ROWS.test(t)) return { kind: 'no_rows' };
  let m = BETWEEN.exec(t);
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    return { kind: 'value_between', min: Math.min(a, b), max: Math.max(a, b) };
  }
  m = AT_MOST.exec(t);
  if (m) return { kind: 'value_between', max: Number(m[1]) };
  m = AT_LEAST.exec(t);
  if (m) return { kind: 'value_between', min: Number(m[1]) };
  m = EQUALS.exec(t);
  if (m) return { kind: 'value_between', min: Number(m[1]), max: Number(m[1]) };
  return undefined;
}

/** A check's name: what a failure post and `/data-engineer checks pause <name>` use. */
export const CHECK_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export const MAX_CHECK_SQL_CHARS = 20_000;

/** A proposed check as the agent's tool input states it; `expect` is read by parseExpectation. */
export const proposedCheckInput = z.object({
  name: z
    .string()
    .regex(CHECK_NAME, 'lowercase letters, digits, `_`, `.` or `-`, at most 63 characters')
    .describe('Short unique name, e.g. `orders_amount_not_negative`.'),
  sql: z
    .string()
    .min(1)
    .max(MAX_CHECK_SQL_CHARS)
    .describe(
      'One read-only SELECT. For "0 rows" it lists offending rows; for a value it returns one number.',
    ),
  expect: z
    .string()
    .max(100)
    .refine((text) => parseExpectation(text) !== undefined, {
      message: 'use "0 rows", "value between A and B", "value <= N", "value >= N" or "value = N"',
    })
    .describe('"0 rows", "value between A and B", "value <= N", "value >= N" or "value = N".'),
  severity: z.enum(SEVERITIES).describe('critical pages the QA owner; warning and info are posted only.'),
});
export type ProposedCheckInput = z.output<typeof proposedCheckInput>;

export interface CheckDefinition {
  name: string;
  sql: string;
  expectation: Expectation;
  severity: Severity;
}

/** The validated tool input as the bot stores it. */
export function checkDefinition(input: ProposedCheckInput): CheckDefinition {
  const expectation = parseExpectation(input.expect);
  if (!expectation) throw new Error(`unreadable expectation: ${input.expect}`);
  return { name: input.name, sql: input.sql, expectation, severity: input.severity };
}
