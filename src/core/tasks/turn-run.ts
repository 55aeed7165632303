import type { TaskGrounding } from '../data-sources/grounding.js';
import type { AbortReason } from '../errors.js';
import { abortableSlack } from '../jobs/abortable-slack.js';
import type { Logger } from '../logger.js';
import { AnswerProgress } from './answer-progress.js';
import { ThreadAnswerWriter } from './answer-writer.js';
import type { AnswerContext, TaskSlack, ThreadTask, TurnDeps } from './run-turn.js';

/** The assistant turn being answered: reserved in the store, written into the thread by `writer`. */
export interface OpenAnswer {
  readonly turnId: number;
  /** Messages an earlier, interrupted run of this turn reached (the answer is written over them). */
  readonly resumedTs: readonly string[];
  readonly writer: ThreadAnswerWriter;
  /** The answer's steps, shown on it (or as the thread status where Slack refuses them). */
  readonly progress: AnswerProgress;
}

/**
 * One run of a turn and what it has reached so far: the Stop and failure paths clean up from here.
 * `answer` is set once the assistant turn is reserved; no part of the answer is written before.
 */
export interface TurnRun {
  readonly deps: TurnDeps;
  readonly task: ThreadTask;
  readonly log: Logger;
  /** The job's signal joined with Slack's own Stop on a streaming message. */
  readonly signal: AbortSignal;
  /** deps.slack, refusing every write once `signal` is aborted. */
  readonly slack: TaskSlack;
  /** Slack's own Stop was pressed on the answer. */
  readonly onStoppedByUser: () => void;
  readonly startedAt: number;
  /** What the answer's tools share (its sandbox session). */
  readonly tools: AnswerContext;
  answer?: OpenAnswer;
  /** The channel's data source and team context, looked up once when the answer starts. */
  grounding: TaskGrounding;
  /** The answer's text as shown so far (since the model's last restart). */
  shown: string;
  firstTs?: string;
  stopControlTs?: string;
  /** The Stop button's post, in flight while the model starts (see settleStopControl). */
  stopControlPosting?: Promise<void>;
}

export function startRun(
  deps: TurnDeps,
  task: ThreadTask,
  jobSignal: AbortSignal | undefined,
  tools: AnswerContext,
): TurnRun {
  // Slack's own Stop on a streaming message ends the whole answer too (who pressed it is not known).
  const slackStop = new AbortController();
  const signal = jobSignal ? AbortSignal.any([jobSignal, slackStop.signal]) : slackStop.signal;
  return {
    deps,
    task,
    log: deps.logger.child({ teamId: task.teamId, taskId: task.id }),
    signal,
    slack: abortableSlack(deps.slack, signal),
    onStoppedByUser: () => slackStop.abort({ kind: 'stopped' } satisfies AbortReason),
    startedAt: Date.now(),
    tools,
    grounding: {},
    shown: '',
    stopControlTs: task.stopControlTs ?? undefined,
  };
}

/** Reserves the assistant turn and builds the writer of its answer. */
export async function openAnswer(run: TurnRun): Promise<void> {
  const { deps, task, slack } = run;
  const reserved = await deps.store.beginAssistantTurn(task.teamId, task.id);
  const turnId = reserved.id;
  if (reserved.messageTs.length > 0)
    run.log.info('resuming an answer cut short', { messages: reserved.messageTs.length });
  const target = {
    teamId: task.teamId,
    channelId: task.channelId,
    threadTs: task.threadTs,
    recipientUserId: task.requesterId,
  };
  const onFirstTs = async (ts: string) => {
    run.firstTs = ts;
    if (!task.answerTs) await deps.store.setAnswerTs(task.teamId, task.id, ts);
  };
  // A crash mid-answer left these messages: the new answer is written over them, never beside them.
  const writer = new ThreadAnswerWriter(slack, target, onFirstTs, {
    existingTs: reserved.messageTs,
    onMessages: (ts) => deps.store.setTurnMessages(task.teamId, turnId, ts),
    onStoppedByUser: run.onStoppedByUser,
    onProgressRefused: () => progress.refused(),
  });
  const progress = new AnswerProgress(writer, (status) => {
    void slack.setStatus(task.channelId, task.threadTs, status);
  });
  run.answer = { turnId, resumedTs: reserved.messageTs, writer, progress };
}

/** The answer reserved by prepareConversation, which always runs first. */
export function openedAnswer(run: TurnRun): OpenAnswer {
  if (!run.answer) throw new Error('the answer is opened by prepareConversation');
  return run.answer;
}
