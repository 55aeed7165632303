import { failureMessage } from '../render/task-messages.js';
import { ThreadAnswerWriter } from './answer-writer.js';
import { recordCollaborationAsk } from './collaboration/requests.js';
import { fitConversation } from './context-budget.js';
import { AgentError, SlackError } from './errors.js';
import {
  CONTEXT_TRIMMED_TEXT,
  questionsText,
  REFUSAL_NOTE,
  retryingStatus,
  THINKING_STATUS,
  TRUNCATED_NOTE,
} from './messages.js';
import { NO_USAGE, type Task } from './model.js';
import type { PeopleDirectory } from './people.js';
import type { AgentPort, CollaborationStore, Logger, SlackPort, TaskStore } from './ports.js';
import { estimateCostUsd } from './pricing.js';
import { describe } from './work-runner.js';

export interface TurnDeps {
  store: TaskStore;
  collaboration: CollaborationStore;
  slack: SlackPort;
  agent: AgentPort;
  logger: Logger;
  /** Who is in which conversation: a ping goes only where its owner can read it. */
  people: PeopleDirectory;
  /** Most input tokens one model request may carry (MAX_CONTEXT_TOKENS). */
  contextBudgetTokens: number;
}

/**
 * One model turn of a task: show a status, stream the answer into the task's thread, store the answer
 * and its usage. A failure ends with one short message in the thread and the task marked failed.
 */
export async function runAgentTurn(deps: TurnDeps, task: Task & { threadTs: string }): Promise<void> {
  const { store, slack, agent } = deps;
  const log = deps.logger.child({ teamId: task.teamId, taskId: task.id });
  const target = {
    teamId: task.teamId,
    channelId: task.channelId,
    threadTs: task.threadTs,
    recipientUserId: task.requesterId,
  };
  let firstTs: string | undefined;
  const onFirstTs = (ts: string) => {
    firstTs = ts;
    if (!task.answerTs) store.setAnswerTs(task.teamId, task.id, ts);
  };
  let writer = new ThreadAnswerWriter(slack, target, onFirstTs);
  const startedAt = Date.now();
  let turnId: number | undefined;
  // Everything from here on is inside the try: whatever fails, the task ends failed with one message,
  // never stuck as running.
  try {
    await slack.setStatus(task.channelId, task.threadTs, THINKING_STATUS);
    store.markRunning(task.teamId, task.id, agent.model);
    const fitted = fitConversation(
      store.listTurns(task.teamId, task.id),
      deps.contextBudgetTokens - agent.fixedPromptTokens,
    );
    if (fitted.dropped > 0 && !task.contextTrimmed) {
      store.markContextTrimmed(task.teamId, task.id);
      await slack
        .postText(task.channelId, CONTEXT_TRIMMED_TEXT, task.threadTs)
        .catch((error: unknown) => log.warn('could not post the context note', { error: describe(error) }));
    }
    const reserved = store.beginAssistantTurn(task.teamId, task.id);
    const reservedId = reserved.id;
    turnId = reservedId;
    if (reserved.messageTs.length > 0)
      log.info('resuming an answer cut short', { messages: reserved.messageTs.length });
    // A crash mid-answer left these messages: the new answer is written over them, never beside them.
    writer = new ThreadAnswerWriter(slack, target, onFirstTs, {
      existingTs: reserved.messageTs,
      onMessages: (ts) => store.setTurnMessages(task.teamId, reservedId, ts),
    });
    const conversation = fitted.turns;
    const result = await agent.answer(conversation, {
      onText: (delta) => writer.write(delta),
      onRestart: () => writer.restart(),
      onRetry: ({ attempt, delayMs, reason }) => {
        log.info('retrying Claude', { attempt, delayMs, reason });
        void slack.setStatus(task.channelId, task.threadTs, retryingStatus(reason, attempt + 1));
      },
      onCollaborationRequest: async (ask) => recordCollaborationAsk(deps, task, ask),
    });
    if (!result.text.trim() && !result.questions && result.stopReason !== 'refusal') {
      throw new AgentError(
        'unknown',
        'Claude returned an empty answer. Please try again, perhaps with more detail.',
      );
    }
    let content = result.text;
    if (result.questions) {
      const asked = questionsText(result.questions);
      writer.write(`${result.text.trim() ? '\n\n' : ''}${asked}`);
      content = `${result.text.trim() ? `${result.text.trim()}\n\n` : ''}${asked}`;
    }
    if (CUT_SHORT.has(result.stopReason ?? '')) writer.write(TRUNCATED_NOTE);
    if (result.stopReason === 'refusal') writer.write(REFUSAL_NOTE);
    await writer.finish();
    const cost = estimateCostUsd(result.model, result.usage);
    store.finishAssistantTurn(
      task.teamId,
      reservedId,
      content,
      result.usage,
      firstTs ?? reserved.messageTs[0],
    );
    if (result.questions) store.markWaiting(task.teamId, task.id, result.usage, cost);
    else store.completeTask(task.teamId, task.id, result.usage, cost);
    log.info('task answered', { ms: Date.now() - startedAt, ...result.usage, costUsd: cost });
  } catch (error) {
    const reason = failureReason(error);
    log.warn('task failed', { reason, error: describe(error) });
    try {
      if (turnId !== undefined) store.discardTurn(task.teamId, turnId);
      store.failTask(task.teamId, task.id, reason, NO_USAGE, 0);
    } catch (storeError) {
      log.error('could not record the failure', { error: describe(storeError) });
    }
    const userMessage =
      error instanceof AgentError
        ? error.userMessage
        : 'Something went wrong on my side. Please try again in a few minutes.';
    try {
      // The half-written answer goes; one failure note with a Retry button takes its place.
      await writer.restart();
      await writer.finish();
      await slack.postBlocks(task.channelId, failureMessage(userMessage, task.id), task.threadTs);
    } catch (postError) {
      log.error('could not post the failure message', { error: describe(postError) });
    }
  }
}

/** Stop reasons that mean the answer ended before the model was done. */
const CUT_SHORT = new Set(['max_tokens', 'model_context_window_exceeded']);

function failureReason(error: unknown): string {
  if (error instanceof AgentError) return `agent_${error.kind}`;
  if (error instanceof SlackError) return `slack_${error.code}`;
  return 'internal_error';
}
