import { checkOfferMessage } from '../../render/quality-check-messages.js';
import type { PostAnswerStep } from '../post-answer/post-answer-step.js';
import type { QualityCheckStore } from './check-store.js';

export const OFFER_CHECKS_STEP = 'offer-checks';

/**
 * Why this file exists: the post-answer step that puts an "Adopt these checks" button under an answer
 * whose agent proposed checks (propose_quality_checks). Each proposal is offered once, by the answer
 * after which it was (re)proposed; a resumed step finds its post by key and does not post again.
 */
export function offerChecksStep(deps: { qualityChecks: Pick<QualityCheckStore, 'offer'> }): PostAnswerStep {
  return {
    name: OFFER_CHECKS_STEP,
    async run(input) {
      const offered = await deps.qualityChecks.offer(input.teamId, input.taskId, input.turnId);
      if (offered.length === 0) return;
      await input.postOnce('checks-offer', checkOfferMessage(input.taskId, input.turnId, offered));
    },
  };
}
