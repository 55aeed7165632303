import { z } from 'zod';
import { describeExpectation } from '../../render/quality-check-messages.js';
import { defineTool, type ToolContext, type ToolReply } from '../agent-tool.js';
import type { AnswerSandbox } from '../sandbox/answer-sandbox.js';
import { SandboxUnavailableError, type StatementOutcome } from '../sandbox/sandbox.js';
import { type CheckDefinition, checkDefinition, proposedCheckInput } from './check-definition.js';
import type { QualityCheckStore } from './check-store.js';
import { evaluateCheck } from './evaluate-check.js';

export const PROPOSE_QUALITY_CHECKS = 'propose_quality_checks';

/** Checks one answer may propose in one call (and keeps, per task, by name). */
export const MAX_PROPOSED_CHECKS = 10;
/** Checks one task keeps in all (a channel runs at most 50; the offer must fit one message). */
export const MAX_PROPOSALS_PER_TASK = 20;

const input = z.object({
  checks: z
    .array(proposedCheckInput)
    .min(1)
    .max(MAX_PROPOSED_CHECKS)
    .refine(
      (checks) => new Set(checks.map((c) => c.name)).size === checks.length,
      'check names must be unique',
    ),
});

interface Deps {
  answerSandbox: AnswerSandbox;
  qualityChecks: Pick<QualityCheckStore, 'propose' | 'proposals'>;
}

/**
 * Why this file exists: the bridge from an answer's Quality Assurance section to checks that run
 * (issue 17). The agent states each SQL check in one shape; the bot runs it in the answer's sandbox on
 * the synthetic data the agent created there, judges it with the same rule the scheduled runs use, and
 * keeps it so people can adopt it with a button under the answer. A check that does not run (syntax, an
 * unknown table, not a SELECT) is not kept, and the model reads why. The description is part of the
 * cached prompt prefix: keep it byte-stable.
 */
export const proposeQualityChecksTool = defineTool({
  name: PROPOSE_QUALITY_CHECKS,
  description: [
    'Offer the SQL data-quality checks of your Quality Assurance section as checks the team can adopt and run on a schedule against their real data (the bot adds an "Adopt these checks" button under your answer).',
    'Each check is one read-only SELECT: for "0 rows" it lists the offending rows (e.g. orders with a negative amount); for a value it returns one number (a null share, a count, hours since the last load) with its accepted range.',
    'First create your tables and synthetic rows with run_sql: the bot runs every check on that data and tells you what each returned; a check that does not run is not kept.',
    `Use lowercase names (letters, digits, _ . -). At most ${MAX_PROPOSED_CHECKS} checks; call it once per answer that designs checks, after testing them.`,
  ].join(' '),
  input,
  async run(args, { deps, task }: ToolContext<Deps>): Promise<ToolReply> {
    const lines: string[] = [];
    let kept = 0;
    const names = new Set((await deps.qualityChecks.proposals(task.teamId, task.id)).map((p) => p.name));
    for (const proposed of args.checks) {
      const check = checkDefinition(proposed);
      if (!names.has(check.name) && names.size >= MAX_PROPOSALS_PER_TASK) {
        lines.push(`- ${check.name}: not kept, this task already has ${MAX_PROPOSALS_PER_TASK} checks`);
        continue;
      }
      const trial = await tryInSandbox(deps.answerSandbox, check);
      if ('problem' in trial) {
        lines.push(`- ${check.name}: not kept, ${trial.problem}`);
        continue;
      }
      await deps.qualityChecks.propose({ ...check, teamId: task.teamId, taskId: task.id, ...trial });
      names.add(check.name);
      kept += 1;
      lines.push(
        `- ${check.name}: kept; on your synthetic data it returned ${trial.sandboxObserved}${verdict(check, trial)}`,
      );
    }
    const head =
      kept === args.checks.length
        ? `Kept ${kept} check(s) for adoption.`
        : `Kept ${kept} of ${args.checks.length} check(s); fix the others and call again with them if they matter.`;
    return { text: [head, ...lines].join('\n'), isError: kept === 0 };
  },
});

type Trial = { sandboxObserved: string; sandboxPassed: boolean } | { problem: string };

async function tryInSandbox(sandbox: AnswerSandbox, check: CheckDefinition): Promise<Trial> {
  let outcome: StatementOutcome | undefined;
  let statements: number;
  try {
    const report = await (await sandbox.session()).run(check.sql);
    statements = report.statements.length + report.notRun;
    outcome = report.statements[0];
    if (!outcome && report.stopped) return { problem: `it did not run (${report.stopped})` };
  } catch (error) {
    if (!(error instanceof SandboxUnavailableError)) throw error;
    // No sandbox (turned off or busy): kept unjudged; its first scheduled run is its first verdict.
    return { sandboxObserved: 'nothing (the sandbox was not available)', sandboxPassed: false };
  }
  if (!outcome) return { problem: 'it has no statement' };
  if (statements !== 1) return { problem: 'a check is exactly one SELECT statement' };
  if (!outcome.ok) return { problem: `it failed: ${outcome.error}` };
  if (outcome.kind !== 'SELECT') return { problem: `a check is one read-only SELECT, not ${outcome.kind}` };
  const judged = evaluateCheck(check.expectation, {
    columns: outcome.columns,
    rows: outcome.rows,
    truncated: outcome.moreRows,
  });
  return { sandboxObserved: judged.observed, sandboxPassed: judged.passed };
}

function verdict(check: CheckDefinition, trial: { sandboxPassed: boolean }): string {
  const expected = describeExpectation(check.expectation);
  return trial.sandboxPassed
    ? ` (passes: expected ${expected}).`
    : ` (would FAIL: expected ${expected}; if your synthetic data is clean, the check is probably wrong).`;
}
