import { failureMessage, INTERNAL_FAILURE_TEXT } from '../../render/task-messages.js';
import { NO_USAGE } from '../domain.js';
import { AgentError, abortReason, errorSummary, JobAbortedError, SlackError } from '../errors.js';
import { endStoppedAnswer } from './stop-answer.js';
import { removeStopControl } from './stop-control.js';
import type { TurnRun } from './turn-run.js';

/**
 * The turn did not finish: a Stop ends the answer where it is; a lost lease or a shutdown leaves it
 * to the job's next run (here or elsewhere), which takes over from what is stored, so nothing is
 * recorded as failed and nothing is written; anything else fails the turn.
 */
export async function endTurnEarly(run: TurnRun, error: unknown): Promise<void> {
  await run.stopControlPosting;
  const aborted = abortReason(run.signal);
  if (aborted?.kind === 'stopped') {
    const { deps, task, answer, shown, stopControlTs } = run;
    await endStoppedAnswer(deps, {
      task,
      turnId: answer?.turnId,
      shown,
      writer: answer?.writer,
      stopControlTs,
      by: aborted.byUserId,
    });
    run.deps.metrics?.answerFinished('stopped');
    return;
  }
  if (aborted) throw new JobAbortedError(aborted);
  await failTurn(run, error);
}

/** Records the task as failed and replaces whatever was written with one failure note and a Retry button. */
async function failTurn(run: TurnRun, error: unknown): Promise<void> {
  const { deps, task, log } = run;
  const reason = failureReason(error);
  log.warn('task failed', { reason, error: errorSummary(error) });
  deps.metrics?.answerFinished('failed');
  try {
    if (run.answer) await deps.store.discardTurn(task.teamId, run.answer.turnId);
    await deps.store.failTask(task.teamId, task.id, reason, NO_USAGE, 0);
  } catch (storeError) {
    log.error('could not record the failure', { error: errorSummary(storeError) });
  }
  const userMessage = error instanceof AgentError ? error.userMessage : INTERNAL_FAILURE_TEXT;
  try {
    // The half-written answer goes; one failure note with a Retry button takes its place.
    if (run.answer) {
      await run.answer.writer.restart();
      await run.answer.writer.finish();
    }
    await removeStopControl(deps, run.slack, task, run.stopControlTs);
    await run.slack.postBlocks(task.channelId, failureMessage(userMessage, task.id), task.threadTs);
  } catch (postError) {
    log.error('could not post the failure message', { error: errorSummary(postError) });
  }
}

/** The failure reason stored with the task: which side failed, and how. */
function failureReason(error: unknown): string {
  if (error instanceof AgentError) return `agent_${error.kind}`;
  if (error instanceof SlackError) return `slack_${error.code}`;
  return 'internal_error';
}
