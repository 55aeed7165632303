import {
  renderCorrectedBlock,
  renderCorrectedVerdict,
  renderCorrections,
  renderNotCorrected,
} from '../../render/check-messages.js';
import type { AgentPort } from '../agent-port.js';
import { type CheckDeps, checkAnswerBlocks } from '../checks/check-blocks.js';
import { correctedBlocks, repairRequest, withCorrections } from '../checks/repair.js';
import { abortReason, errorSummary } from '../errors.js';
import { fitConversation } from '../tasks/context-budget.js';
import type { PostAnswerInput, PostAnswerStep } from './post-answer-step.js';

export const REPAIR_STEP = 'repair';

export interface RepairDeps {
  checks: CheckDeps;
  agent: AgentPort;
  /** Most input tokens one model request may carry (MAX_CONTEXT_TOKENS): a long thread drops its middle. */
  contextBudgetTokens: number;
}

/**
 * Why this file exists: the one automatic repair round. When blocks of the answer failed their check
 * (results.blockChecks), the failures go back to the model once, in the same conversation; one reply
 * "Corrected blocks" shows each corrected block as "Corrected block N" with its own check line, or says
 * plainly that it was not corrected (one post however many blocks failed). Never more than one round: the model's reply is stored before
 * anything is posted, and a run resumed after a crash that finds no stored reply does not ask again.
 */
export function repairStep(deps: RepairDeps): PostAnswerStep {
  return {
    name: REPAIR_STEP,
    async run(input) {
      const checks = input.results.blockChecks;
      const request = checks ? repairRequest(checks) : undefined;
      if (!checks || !request) return;
      const failed = checks.filter((c) => c.status === 'failed').map((c) => c.index);
      if (input.results.repairReply === undefined) {
        // Cut short before the reply was stored: the round may have been asked already; never twice.
        if (input.resumed) return;
        input.results.repairReply = await askOnce(deps, input, request);
        input.save();
      }
      const corrections = correctedBlocks(input.results.repairReply, failed);
      const rechecked =
        corrections.size > 0
          ? await checkAnswerBlocks(withCorrections(input.answerText, corrections), deps.checks)
          : [];
      input.results.repairedBlocks = rechecked.filter((c) => corrections.has(c.index));
      input.save();
      const parts = failed.map((index) => {
        const block = corrections.get(index);
        const check = rechecked.find((c) => c.index === index);
        if (!block || !check) return { full: renderNotCorrected(index), short: renderNotCorrected(index) };
        return { full: renderCorrectedBlock(block, check), short: renderCorrectedVerdict(check) };
      });
      if (parts.length > 0) await input.postOnce('corrected-blocks', renderCorrections(parts));
    },
  };
}

/** The model's reply to the repair request ('' when it could not be asked: nothing is corrected). */
async function askOnce(deps: RepairDeps, input: PostAnswerInput, request: string): Promise<string> {
  const { turns } = fitConversation(
    [...input.conversation, { role: 'user', content: request }],
    deps.contextBudgetTokens - deps.agent.fixedPromptTokens,
  );
  try {
    const result = await deps.agent.answer(turns, {
      ...(input.signal ? { signal: input.signal } : {}),
      onText: () => undefined,
      onRestart: async () => undefined,
    });
    return result.text;
  } catch (error) {
    if (abortReason(input.signal)) throw error;
    input.logger.warn('could not ask for corrected blocks', { error: errorSummary(error) });
    return '';
  }
}
