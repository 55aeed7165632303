import type { AgentPort } from '../agent-port.js';
import { type DeliveryDeps, deliverablesStep } from '../artifacts/deliver-step.js';
import type { CheckDeps } from '../checks/check-blocks.js';
import type { QualityCheckStore } from '../quality-monitor/check-store.js';
import { offerChecksStep } from '../quality-monitor/offer-checks-step.js';
import { blockCheckStep } from './block-check-step.js';
import type { PostAnswerStep } from './post-answer-step.js';
import { repairStep } from './repair-step.js';

/**
 * Why this file exists: the ONE list of post-answer steps, in the order they run after every answer
 * (see post-answer-step.ts for what a step gets). The composition root (src/composition/services.ts) calls
 * `postAnswerSteps` once with the ports. Add a step by adding one line to the list (and, if it needs a
 * port, a field to PostAnswerStepDeps). Never rename a step: answers are resumed by step name.
 */
export interface PostAnswerStepDeps {
  /** The sandbox and parsers of the block checks; absent when the sandbox is turned off. */
  checks?: CheckDeps;
  agent: AgentPort;
  /** MAX_CONTEXT_TOKENS, for steps that ask the model again. */
  contextBudgetTokens: number;
  /** Where the answer's files go (code, diagrams, the data dictionary) and what they need. */
  deliveries?: DeliveryDeps;
  /** The checks answers proposed: offered for adoption under the answer. */
  qualityChecks?: Pick<QualityCheckStore, 'offer'>;
}

export function postAnswerSteps(deps: PostAnswerStepDeps): PostAnswerStep[] {
  const { checks, agent, contextBudgetTokens, deliveries, qualityChecks } = deps;
  return [
    // First: checks every fenced block of the answer; sets results.blockChecks for later steps.
    checks && blockCheckStep(checks),
    // The one repair round for blocks that failed (reads results.blockChecks).
    checks && repairStep({ checks, agent, contextBudgetTokens }),
    // File deliverables: code files (with their results.blockChecks), diagrams, the data dictionary.
    deliveries && deliverablesStep(deliveries),
    // Last: the "Adopt these checks" button for checks the agent proposed (after the files they refer to).
    qualityChecks && offerChecksStep({ qualityChecks }),
  ].filter((step): step is PostAnswerStep => step !== undefined);
}
