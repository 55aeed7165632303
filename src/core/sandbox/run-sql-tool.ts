import { z } from 'zod';
import type { AnswerSandbox } from './answer-sandbox.js';
import { formatRunReport } from './format-report.js';
import { DEFAULT_SANDBOX_LIMITS, SandboxUnavailableError } from './sandbox.js';

/**
 * Why this file exists: the agent's `run_sql` tool, in the registry's shape
 * `{ name, description, input: zod schema, run(input, ctx) }` (JSON Schema comes from `z.toJSONSchema`).
 * The model writes SQL; the bot runs it in the answer's own throw-away DuckDB database and returns a short,
 * bounded report. The description is part of the cached prompt prefix: keep it byte-stable.
 */

export const RUN_SQL = 'run_sql';

export const runSqlInput = z.object({
  sql: z
    .string()
    .trim()
    .min(1)
    .max(DEFAULT_SANDBOX_LIMITS.maxSqlChars)
    .describe(
      'One or more DuckDB SQL statements separated by semicolons, run in order; the run stops at the first failing statement.',
    ),
  purpose: z
    .string()
    .trim()
    .min(3)
    .max(80)
    .optional()
    .describe('What this call checks, in a few words, e.g. "the quality checks on sample data".'),
});

export type RunSqlInput = z.infer<typeof runSqlInput>;

/** What a tool gets from the agent loop: here, the answer's sandbox (opened on first use). */
export interface SandboxToolContext {
  sandbox: AnswerSandbox;
}

export interface ToolOutput {
  text: string;
  isError: boolean;
}

const DESCRIPTION = [
  'Run SQL in a private, empty, in-memory DuckDB database that belongs to this answer only, to test your design before you post it.',
  'Use it to: create your tables; insert a few hundred synthetic rows (generate them with range(), random() and CASE, not long VALUES lists); run your transformations; run your data-quality checks and read back the failing-row counts; read the exact error of anything that fails, fix it and run it again.',
  'Tables persist across the calls of this answer; nothing else sees them and they are deleted when the answer ends.',
  'Write DuckDB SQL (close to PostgreSQL). For another target dialect, test the portable core here.',
  `Limits: no files, network, extensions or settings changes (they are refused); each statement stops after ${DEFAULT_SANDBOX_LIMITS.statementTimeoutMs / 1000} s; ${DEFAULT_SANDBOX_LIMITS.memoryLimit} of memory; results show at most ${DEFAULT_SANDBOX_LIMITS.maxRows} rows per query; at most ${DEFAULT_SANDBOX_LIMITS.maxCallsPerSession} calls per answer.`,
  'In Quality Assurance, say what you ran and what came back (for example "null-rate check: 0 failing rows of 500 synthetic rows").',
].join(' ');

export const runSqlTool = {
  name: RUN_SQL,
  description: DESCRIPTION,
  input: runSqlInput,
  async run(input: RunSqlInput, ctx: SandboxToolContext): Promise<ToolOutput> {
    try {
      const session = await ctx.sandbox.session();
      return formatRunReport(await session.run(input.sql));
    } catch (error) {
      const reason = error instanceof SandboxUnavailableError ? error.message : 'it failed to start';
      return {
        text: `The sandbox is not available (${reason}). Continue without it, and say in Quality Assurance that this SQL was not run.`,
        isError: true,
      };
    }
  },
};
