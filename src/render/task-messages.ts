import { failureText } from '../core/messages.js';

export const RETRY_ACTION = 'task_retry';

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
