import { stoppedText } from '../../render/task-messages.js';
import { NO_USAGE, type Task } from '../domain.js';
import { errorSummary } from '../errors.js';
import type { ThreadAnswerWriter } from './answer-writer.js';
import type { TurnDeps } from './run-turn.js';

/** What the stored turn says when an answer was stopped before its end. */
export const STOPPED_NOTE = '[The answer was stopped here.]';

/**
 * Someone stopped the answer (the Stop button, or Slack's own stop on a streaming message). The
 * model request is closed already and nothing more of the answer is written: the part shown stays
 * (stored as the turn, so a follow-up builds on it), the task is done, and the Stop button's message
 * becomes one line saying who stopped it (a name, never a mention, so no one is notified).
 */
export async function endStoppedAnswer(
  deps: TurnDeps,
  stop: {
    task: Task & { threadTs: string };
    turnId: number | undefined;
    shown: string;
    /** Undefined when the Stop came before the answer's writer was opened. */
    writer: ThreadAnswerWriter | undefined;
    stopControlTs: string | undefined;
    by: string | undefined;
  },
): Promise<void> {
  const { task } = stop;
  const log = deps.logger.child({ teamId: task.teamId, taskId: task.id });
  log.info('answer stopped', { by: stop.by });
  // Closes a stream left open (nothing is added); the writer's other writes are refused.
  await stop.writer?.abandon();
  const content = stop.shown.trim() ? `${stop.shown.trim()}\n\n${STOPPED_NOTE}` : STOPPED_NOTE;
  if (stop.turnId !== undefined)
    await deps.store.finishAssistantTurn(task.teamId, stop.turnId, content, NO_USAGE);
  await deps.store.completeTask(task.teamId, task.id, NO_USAGE, 0);
  const name = stop.by ? await displayName(deps, stop.by) : undefined;
  const text = stoppedText(name);
  try {
    if (stop.stopControlTs) {
      await deps.slack.updateBlocks(task.channelId, stop.stopControlTs, {
        text,
        blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text }] }],
      });
    } else {
      await deps.slack.postText(task.channelId, text, task.threadTs);
    }
    await deps.store.setStopControlTs(task.teamId, task.id, null);
  } catch (error) {
    log.warn('could not say the answer was stopped', { error: errorSummary(error) });
  }
}

async function displayName(deps: TurnDeps, userId: string): Promise<string | undefined> {
  try {
    return (await deps.slack.getUser(userId))?.displayName;
  } catch {
    return undefined;
  }
}
