import { stopControlMessage } from '../../render/task-messages.js';
import type { Task } from '../domain.js';
import { errorSummary, JobAbortedError } from '../errors.js';
import type { ThreadWriter } from '../slack-roles.js';
import type { ThreadTask, TurnDeps } from './run-turn.js';

/** Posts the Stop button under the thread; best effort: an answer never fails for want of it. */
export async function showStopControl(
  deps: TurnDeps,
  slack: Pick<ThreadWriter, 'postBlocks' | 'deleteMessage'>,
  task: ThreadTask,
): Promise<string | undefined> {
  try {
    const ts = await slack.postBlocks(task.channelId, stopControlMessage(task.id), task.threadTs);
    deps.store.setStopControlTs(task.teamId, task.id, ts);
    return ts;
  } catch (error) {
    if (error instanceof JobAbortedError) throw error;
    deps.logger.warn('could not post the Stop button', { teamId: task.teamId, error: errorSummary(error) });
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
    deps.store.setStopControlTs(task.teamId, task.id, null);
  } catch (error) {
    if (error instanceof JobAbortedError) throw error;
    // Best effort: a press on a Stop button left behind is told there is nothing to stop.
    deps.logger.warn('could not remove the Stop button', { teamId: task.teamId, error: errorSummary(error) });
  }
}
