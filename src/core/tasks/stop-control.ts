import { stopControlMessage } from '../../render/task-messages.js';
import type { Task } from '../domain.js';
import { errorSummary, JobAbortedError } from '../errors.js';
import type { ThreadWriter } from '../slack-roles.js';
import type { ThreadTask, TurnDeps } from './run-turn.js';

/**
 * Posts the Stop button under the thread; best effort: an answer never fails for want of it. It is
 * posted with a key, so that an answer resumed after a crash (`resumed`: an earlier run got as far as
 * starting it) finds the button a run killed between Slack's post and storing its ts left behind, and
 * keeps it instead of leaving it in the thread beside a second one.
 */
export async function showStopControl(
  deps: TurnDeps,
  slack: Pick<ThreadWriter, 'postBlocks' | 'deleteMessage' | 'findPosted'>,
  task: ThreadTask,
  resumed = false,
): Promise<string | undefined> {
  const key = `stop-${task.id}`;
  try {
    const earlier = resumed ? await findEarlier(deps, slack, task, key) : undefined;
    const ts =
      earlier ?? (await slack.postBlocks(task.channelId, stopControlMessage(task.id), task.threadTs, key));
    await deps.store.setStopControlTs(task.teamId, task.id, ts);
    return ts;
  } catch (error) {
    if (error instanceof JobAbortedError) throw error;
    deps.logger.warn('could not post the Stop button', { teamId: task.teamId, error: errorSummary(error) });
    return undefined;
  }
}

/** The Stop button an interrupted run posted; when the thread cannot be read, a new one is posted. */
async function findEarlier(
  deps: TurnDeps,
  slack: Pick<ThreadWriter, 'findPosted'>,
  task: ThreadTask,
  key: string,
): Promise<string | undefined> {
  try {
    return await slack.findPosted(task.channelId, key, task.threadTs);
  } catch (error) {
    if (error instanceof JobAbortedError) throw error;
    deps.logger.warn('could not look for an earlier Stop button', {
      teamId: task.teamId,
      error: errorSummary(error),
    });
    return undefined;
  }
}

/** The answer ended (done or failed): its Stop button goes. */
export async function removeStopControl(
  deps: TurnDeps,
  slack: Pick<ThreadWriter, 'postBlocks' | 'deleteMessage'>,
  task: Task,
  ts: string | undefined,
): Promise<void> {
  if (!ts) return;
  try {
    await slack.deleteMessage(task.channelId, ts);
    await deps.store.setStopControlTs(task.teamId, task.id, null);
  } catch (error) {
    if (error instanceof JobAbortedError) throw error;
    // Best effort: a press on a Stop button left behind is told there is nothing to stop.
    deps.logger.warn('could not remove the Stop button', { teamId: task.teamId, error: errorSummary(error) });
  }
}
