import { renderCheckMessage } from '../../render/check-messages.js';
import { type CheckDeps, checkAnswerBlocks } from '../checks/check-blocks.js';
import type { PostAnswerStep } from './post-answer-step.js';

export const BLOCK_CHECKS_STEP = 'block-checks';

/**
 * Why this file exists: the first post-answer step. The bot checks every fenced block of the posted
 * answer itself (never trusting the model's own claim) and posts ONE short message listing each block
 * ✓/✗/not checked (none when no block could be checked at all). The checks are stored (results.blockChecks) before the message is posted, so a
 * resumed run posts the same message, once, without checking again.
 */
export function blockCheckStep(checks: CheckDeps): PostAnswerStep {
  return {
    name: BLOCK_CHECKS_STEP,
    async run(input) {
      if (!input.results.blockChecks) {
        input.results.blockChecks = await checkAnswerBlocks(input.answerText, checks);
        input.save();
      }
      // Nothing to report when no block could be checked (all templated, Python, …): the bot makes no
      // claim either way, and the thread stays as the model wrote it.
      if (input.results.blockChecks.every((check) => check.status === 'not_checked')) return;
      const message = renderCheckMessage(input.results.blockChecks);
      if (message) await input.postOnce('checks', message);
    },
  };
}
