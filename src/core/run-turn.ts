import { failureMessage, stopControlMessage } from '../render/task-messages.js';
import { abortableSlack } from './abortable-slack.js';
import { runToolRound } from './agent-tool.js';
import { ThreadAnswerWriter } from './answer-writer.js';
import { fitConversation } from './context-budget.js';
import { type AbortReason, AgentError, abortReason, JobAbortedError, SlackError } from './errors.js';
import {
  CONTEXT_TRIMMED_TEXT,
  REFUSAL_NOTE,
  retryingStatus,
  THINKING_STATUS,
  TRUNCATED_NOTE,
} from './messages.js';
import { NO_USAGE, type Task } from './model.js';
import type { PeopleDirectory } from './people.js';
import type { AgentPort, CollaborationStore, Logger, SlackPort, TaskStore } from './ports.js';
import { estimateCostUsd } from './pricing.js';
import { endStoppedAnswer } from './stop-answer.js';
import { AGENT_TOOLS } from './tool-registry.js';
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
 *
 * `jobSignal` aborts the turn: the model request is closed and nothing more is written to Slack. A
 * lost lease or a shutdown leaves everything stored as it is for the job's next run (which rewrites
 * the messages reached); a Stop ends the answer where it is and says who stopped it.
 */
export async function runAgentTurn(
  deps: TurnDeps,
  task: Task & { threadTs: string },
  jobSignal?: AbortSignal,
): Promise<void> {
  const { store, agent } = deps;
  const log = deps.logger.child({ teamId: task.teamId, taskId: task.id });
  // Slack's own Stop on a streaming message ends the whole answer too (who pressed it is not known).
  const slackStop = new AbortController();
  const signal = jobSignal ? AbortSignal.any([jobSignal, slackStop.signal]) : slackStop.signal;
  const onStoppedByUser = () => slackStop.abort({ kind: 'stopped' } satisfies AbortReason);
  const slack = abortableSlack(deps.slack, signal);
  let shown = '';
  let stopControlTs = task.stopControlTs ?? undefined;
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
  let writer = new ThreadAnswerWriter(slack, target, onFirstTs, { onStoppedByUser });
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
      onStoppedByUser,
    });
    // The Stop button, once per answer: a resumed answer (after a crash) keeps the one it had.
    stopControlTs ??= await showStopControl(deps, slack, task);
    const conversation = fitted.turns;
    const result = await agent.answer(conversation, {
      signal,
      onText: (delta) => {
        shown += delta;
        writer.write(delta);
      },
      onRestart: async () => {
        shown = '';
        await writer.restart();
      },
      onRetry: ({ attempt, delayMs, reason }) => {
        log.info('retrying Claude', { attempt, delayMs, reason });
        void slack.setStatus(task.channelId, task.threadTs, retryingStatus(reason, attempt + 1));
      },
      runTools: (calls, options) => runToolRound(AGENT_TOOLS, calls, { deps, task }, options),
    });
    if (!result.text.trim() && !result.waitingText && result.stopReason !== 'refusal') {
      throw new AgentError(
        'unknown',
        'Claude returned an empty answer. Please try again, perhaps with more detail.',
      );
    }
    let content = result.text;
    if (result.waitingText) {
      const asked = result.waitingText;
      writer.write(`${result.text.trim() ? '\n\n' : ''}${asked}`);
      content = `${result.text.trim() ? `${result.text.trim()}\n\n` : ''}${asked}`;
    }
    if (CUT_SHORT.has(result.stopReason ?? '')) writer.write(TRUNCATED_NOTE);
    if (result.stopReason === 'refusal') writer.write(REFUSAL_NOTE);
    await writer.finish();
    await removeStopControl(deps, slack, task, stopControlTs);
    const cost = estimateCostUsd(result.model, result.usage);
    store.finishAssistantTurn(
      task.teamId,
      reservedId,
      content,
      result.usage,
      firstTs ?? reserved.messageTs[0],
    );
    if (result.waitingText) store.markWaiting(task.teamId, task.id, result.usage, cost);
    else store.completeTask(task.teamId, task.id, result.usage, cost);
    log.info('task answered', { ms: Date.now() - startedAt, ...result.usage, costUsd: cost });
  } catch (error) {
    const aborted = abortReason(signal);
    if (aborted?.kind === 'stopped') {
      await endStoppedAnswer(deps, { task, turnId, shown, writer, stopControlTs, by: aborted.byUserId });
      return;
    }
    // A lost lease or a shutdown: the job's next run (here or elsewhere) takes over from what is
    // stored, so nothing is recorded as failed and nothing is written.
    if (aborted) throw new JobAbortedError(aborted);
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
      await removeStopControl(deps, slack, task, stopControlTs);
      await slack.postBlocks(task.channelId, failureMessage(userMessage, task.id), task.threadTs);
    } catch (postError) {
      log.error('could not post the failure message', { error: describe(postError) });
    }
  }
}

/** Posts the Stop button under the thread; best effort: an answer never fails for want of it. */
async function showStopControl(
  deps: TurnDeps,
  slack: SlackPort,
  task: Task & { threadTs: string },
): Promise<string | undefined> {
  try {
    const ts = await slack.postBlocks(task.channelId, stopControlMessage(task.id), task.threadTs);
    deps.store.setStopControlTs(task.teamId, task.id, ts);
    return ts;
  } catch (error) {
    if (error instanceof JobAbortedError) throw error;
    deps.logger.warn('could not post the Stop button', { teamId: task.teamId, error: describe(error) });
    return undefined;
  }
}

/** The answer ended (done or failed): its Stop button goes. */
async function removeStopControl(
  deps: TurnDeps,
  slack: SlackPort,
  task: Task,
  ts: string | undefined,
): Promise<void> {
  if (!ts) return;
  try {
    await slack.deleteMessage(task.channelId, ts);
    deps.store.setStopControlTs(task.teamId, task.id, null);
  } catch (error) {
    if (error instanceof JobAbortedError) throw error;
    // Best effort: a press on a Stop button left behind is told there is nothing to stop.
    deps.logger.warn('could not remove the Stop button', { teamId: task.teamId, error: describe(error) });
  }
}

/** Stop reasons that mean the answer ended before the model was done. */
const CUT_SHORT = new Set(['max_tokens', 'model_context_window_exceeded']);

function failureReason(error: unknown): string {
  if (error instanceof AgentError) return `agent_${error.kind}`;
  if (error instanceof SlackError) return `slack_${error.code}`;
  return 'internal_error';
}
