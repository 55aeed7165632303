import { feedbackBlocks } from '../../render/feedback-messages.js';
import { EMPTY_ANSWER_TEXT } from '../../render/task-messages.js';
import type { AgentResult, AnswerSetup } from '../agent-port.js';
import { runToolRound } from '../agent-tool.js';
import { groundingTokens, groundTask, type TaskGrounding } from '../data-sources/grounding.js';
import type { Turn } from '../domain.js';
import { AgentError, errorSummary } from '../errors.js';
import {
  CONTEXT_TRIMMED_TEXT,
  REFUSAL_NOTE,
  retryingStatus,
  THINKING_STATUS,
  TRUNCATED_NOTE,
} from '../messages.js';
import { estimateCostUsd } from '../pricing.js';
import { answerSandbox, SANDBOX_OFF } from '../sandbox/answer-sandbox.js';
import { DATA_TOOL_TOKENS, type ToolDeps, toolsForTask } from '../tool-registry.js';
import { toolStatus } from '../tool-status.js';
import { fitConversation } from './context-budget.js';
import { endTurnEarly } from './fail-turn.js';
import { removeStopControl, showStopControl } from './stop-control.js';
import type { AnswerContext, ThreadTask, TurnDeps } from './turn-deps.js';
import { openAnswer, openedAnswer, startRun, type TurnRun } from './turn-run.js';

export type { AnswerContext, TaskSlack, ThreadTask, TurnDeps } from './turn-deps.js';

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
  task: ThreadTask,
  jobSignal?: AbortSignal,
  tools: AnswerContext = { answerSandbox: answerSandbox(SANDBOX_OFF) },
): Promise<void> {
  const run = startRun(deps, task, jobSignal, tools);
  // Everything from here on is inside the try: whatever fails, the task ends failed with one message,
  // never stuck as running.
  try {
    const conversation = await prepareConversation(run);
    const result = await streamAnswer(run, conversation);
    const content = await finishAnswer(run, result);
    await recordOutcome(run, result, content);
  } catch (error) {
    await endTurnEarly(run, error);
  }
}

/**
 * Marks the task running and returns the conversation that fits the context budget, once the
 * assistant turn, its writer and the Stop button are in place.
 */
async function prepareConversation(run: TurnRun): Promise<Turn[]> {
  const { deps, task, slack, log } = run;
  const { store, agent } = deps;
  await slack.setStatus(task.channelId, task.threadTs, THINKING_STATUS);
  await store.markRunning(task.teamId, task.id, agent.model);
  const filesNote = run.tools.filesNote ?? '';
  run.grounding = await groundTask(deps, task, log);
  const fitted = fitConversation(
    await store.listTurns(task.teamId, task.id),
    deps.contextBudgetTokens -
      agent.fixedPromptTokens -
      Math.ceil(filesNote.length / 3) -
      groundingTokens(run.grounding, DATA_TOOL_TOKENS),
  );
  if (fitted.dropped > 0 && !task.contextTrimmed) {
    await store.markContextTrimmed(task.teamId, task.id);
    await slack
      .postText(task.channelId, CONTEXT_TRIMMED_TEXT, task.threadTs)
      .catch((error: unknown) => log.warn('could not post the context note', { error: errorSummary(error) }));
  }
  await openAnswer(run);
  if (run.tools.threadRead) openedAnswer(run).progress.threadRead();
  // The Stop button, once per answer: a resumed answer (after a crash) keeps the one it had. It is
  // posted while the model starts, so it never delays the first token. A task still `running` when
  // its job started was cut short after it was marked so (just above): its button may be in the thread.
  if (!run.stopControlTs)
    run.stopControlPosting = showStopControl(deps, slack, task, task.status === 'running').then(
      (ts) => {
        run.stopControlTs ??= ts;
      },
      () => undefined, // aborted: the turn's own abort handling ends it
    );
  return withFilesNote(fitted.turns, filesNote);
}

/**
 * The files summary goes with the newest human message of this request only (never stored): each answer
 * loads the files again and says what it loaded, so the model always sees the tables that exist now.
 */
function withFilesNote(turns: Turn[], note: string): Turn[] {
  const last = turns.at(-1);
  if (!note || !last || last.role !== 'user') return turns;
  return [...turns.slice(0, -1), { ...last, content: `${last.content}\n\n${note}` }];
}

/** Streams the model's answer into the thread as it comes; an empty answer is a failure. */
async function streamAnswer(run: TurnRun, conversation: Turn[]): Promise<AgentResult> {
  const { deps, task, slack, log } = run;
  const { writer, progress } = openedAnswer(run);
  const tools = toolsForTask(run.grounding);
  const dataAccess = run.grounding.data;
  const result = await deps.agent.answer(
    conversation,
    {
      signal: run.signal,
      onText: (delta) => {
        run.shown += delta;
        if (delta.trim()) progress.text();
        writer.write(delta);
      },
      onRestart: async () => {
        run.shown = '';
        await writer.restart();
      },
      onRetry: ({ attempt, delayMs, reason }) => {
        log.info('retrying Claude', { attempt, delayMs, reason });
        void slack.setStatus(task.channelId, task.threadTs, retryingStatus(reason, attempt + 1));
      },
      runTools: async (calls, options) => {
        const status = toolStatus(calls);
        if (status && options.mayContinue) void slack.setStatus(task.channelId, task.threadTs, status);
        const steps = progress.toolsStarted(calls);
        try {
          const round = await runToolRound<ToolDeps>(
            tools,
            calls,
            { deps: { ...deps, ...run.tools, ...(dataAccess ? { dataAccess } : {}) }, task },
            options,
          );
          progress.toolsDone(steps);
          return round;
        } catch (error) {
          progress.toolsDone(steps, true);
          throw error;
        }
      },
    },
    setupOf(run.grounding, tools),
  );
  if (!result.text.trim() && !result.waitingText && result.stopReason !== 'refusal') {
    throw new AgentError('unknown', EMPTY_ANSWER_TEXT);
  }
  return result;
}

/**
 * Writes the end of the answer (the questions asked, a note when it was cut short or refused), waits
 * for Slack and removes the Stop button. Returns the turn's content as stored.
 */
async function finishAnswer(run: TurnRun, result: AgentResult): Promise<string> {
  const { writer } = openedAnswer(run);
  let content = result.text;
  if (result.waitingText) {
    const asked = result.waitingText;
    writer.write(`${result.text.trim() ? '\n\n' : ''}${asked}`);
    content = `${result.text.trim() ? `${result.text.trim()}\n\n` : ''}${asked}`;
  }
  // What came from the data, counted by the bot from the calls that succeeded (never the model's word).
  const lookedAt = run.grounding.data?.lookedAt.line(run.grounding.data.source.name);
  if (lookedAt) writer.write(`\n\n_${lookedAt}_`);
  if (CUT_SHORT.has(result.stopReason ?? '')) writer.write(TRUNCATED_NOTE);
  if (result.stopReason === 'refusal') writer.write(REFUSAL_NOTE);
  // A final answer carries 👍/👎; one that waits for answers to its questions is not final yet.
  await writer.finish(result.waitingText ? undefined : feedbackBlocks(openedAnswer(run).turnId));
  await run.stopControlPosting;
  await removeStopControl(run.deps, run.slack, run.task, run.stopControlTs);
  return content;
}

/** Stores the answer and its usage; the task waits for answers to its questions or is done. */
async function recordOutcome(run: TurnRun, result: AgentResult, content: string): Promise<void> {
  const { deps, task } = run;
  const { store } = deps;
  const cost = estimateCostUsd(result.model, result.usage);
  const { turnId, resumedTs } = openedAnswer(run);
  await store.finishAssistantTurn(task.teamId, turnId, content, result.usage, run.firstTs ?? resumedTs[0]);
  if (result.waitingText) await store.markWaiting(task.teamId, task.id, result.usage, cost);
  else await store.completeTask(task.teamId, task.id, result.usage, cost);
  run.log.info('task answered', { ms: Date.now() - run.startedAt, ...result.usage, costUsd: cost });
  deps.metrics?.answerFinished(result.waitingText ? 'waiting' : 'completed');
}

/** The request's tools and extra system text; nothing extra for a channel without either. */
function setupOf(grounding: TaskGrounding, tools: AnswerSetup['tools']): AnswerSetup {
  return {
    ...(grounding.data ? { tools } : {}),
    ...(grounding.instructions ? { instructions: grounding.instructions } : {}),
  };
}

/** Stop reasons that mean the answer ended before the model was done. */
const CUT_SHORT = new Set(['max_tokens', 'model_context_window_exceeded']);
