import { neutraliseMentions } from './sanitise.js';

export const RETRY_ACTION = 'task_retry';
export const STOP_ACTION = 'task_stop';

/**
 * The line under a thread while its answer is written: a Stop button that ends the model call and the
 * whole answer (the requester of the task or an admin may press it). It goes when the answer ends.
 */
export function stopControlMessage(taskId: number): { text: string; blocks: unknown[] } {
  const text = 'Writing the answer… Press Stop to end it here.';
  return {
    text,
    blocks: [
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: ':writing_hand: Writing the answer…' }],
      },
      {
        type: 'actions',
        block_id: `task_stop_${taskId}`,
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Stop' },
            action_id: STOP_ACTION,
            value: String(taskId),
            style: 'danger',
          },
        ],
      },
    ],
  };
}

/**
 * "Stopped by <name>": the person's name as plain text, never a mention, so no one is notified
 * (escaped, and anything that reads like a mention neutralised).
 */
export function stoppedText(name: string | undefined): string {
  if (!name) return ':octagonal_sign: Stopped.';
  const escaped = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `:octagonal_sign: Stopped by ${neutraliseMentions(escaped)}.`;
}

/** A task's failure note, with a Retry button that puts the task back in the queue. */
export function failureMessage(userMessage: string, taskId: number): { text: string; blocks: unknown[] } {
  const text = failureText(userMessage);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: `task_retry_${taskId}`,
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Retry' },
            action_id: RETRY_ACTION,
            value: String(taskId),
            style: 'primary',
          },
        ],
      },
    ],
  };
}

/** What the failure note becomes once someone clicked Retry (the button goes, so it runs once). */
export function retriedMessage(userId: string): { text: string; blocks: unknown[] } {
  const text = `:repeat: <@${userId}> asked me to retry; the new answer follows below.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export function failureText(userMessage: string): string {
  return `:warning: Sorry, I couldn't finish this answer. ${userMessage} Reply \`retry\` in this thread and I'll try again.`;
}

/** Claude answered with nothing at all (no text, no questions, no refusal). */
export const EMPTY_ANSWER_TEXT =
  'Claude returned an empty answer. Please try again, perhaps with more detail.';

/** A failure the bot cannot explain better (not an AgentError). */
export const INTERNAL_FAILURE_TEXT = 'Something went wrong on my side. Please try again in a few minutes.';

/** A job that kept failing (or kept killing its process) was dropped. */
export const GAVE_UP_TEXT = 'Something went wrong on my side and I stopped retrying.';

export const STOP_REFUSED_TEXT = 'Only the person who asked, or an admin, can stop this answer.';
export const STOP_TOO_LATE_TEXT = 'This answer is no longer being written, so there is nothing to stop.';

export const RETRY_GONE_TEXT = 'This task no longer exists, so there is nothing to retry.';

/** Retry pressed on a task that is no longer failed. */
export function retryNotNeededText(answered: boolean): string {
  return `This task ${answered ? 'has been answered' : 'is already being worked on'}; there is nothing to retry.`;
}
