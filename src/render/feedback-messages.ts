import type { BlockMessage } from '../core/slack-roles.js';

/** The 👍/👎 under each final answer (Slack's feedback buttons) and the optional 👎 form. */

export const FEEDBACK_ACTION = 'answer_feedback';
export const FEEDBACK_FORM_CALLBACK = 'answer_feedback_form';
export const FEEDBACK_FORM_BLOCK = 'what_was_wrong';
export const FEEDBACK_FORM_INPUT = 'text';

/** The buttons' values say which answer (assistant turn) and which way: `up:42` / `down:42`. */
export function feedbackValue(vote: 'up' | 'down', turnId: number): string {
  return `${vote}:${turnId}`;
}

export function parseFeedbackValue(value: string): { vote: 'up' | 'down'; turnId: number } | undefined {
  const match = /^(up|down):([1-9]\d{0,15})$/.exec(value);
  if (!match) return undefined;
  const turnId = Number(match[2]);
  return Number.isSafeInteger(turnId) ? { vote: match[1] as 'up' | 'down', turnId } : undefined;
}

export function feedbackBlocks(turnId: number): BlockMessage {
  return {
    text: 'Was this answer helpful?',
    blocks: [
      {
        type: 'context_actions',
        block_id: `feedback-${turnId}`,
        elements: [
          {
            type: 'feedback_buttons',
            action_id: FEEDBACK_ACTION,
            positive_button: {
              text: { type: 'plain_text', text: '👍' },
              value: feedbackValue('up', turnId),
              accessibility_label: 'This answer was helpful',
            },
            negative_button: {
              text: { type: 'plain_text', text: '👎' },
              value: feedbackValue('down', turnId),
              accessibility_label: 'This answer was not helpful',
            },
          },
        ],
      },
    ],
  };
}

/** The optional form after a 👎: what was wrong, in the person's words (nothing is required). */
export function feedbackForm(turnId: number, channelId: string, maxChars: number) {
  return {
    type: 'modal' as const,
    callback_id: FEEDBACK_FORM_CALLBACK,
    private_metadata: JSON.stringify({ turnId, channelId }),
    title: { type: 'plain_text' as const, text: 'What was wrong?' },
    submit: { type: 'plain_text' as const, text: 'Send' },
    close: { type: 'plain_text' as const, text: 'Skip' },
    blocks: [
      {
        type: 'input',
        block_id: FEEDBACK_FORM_BLOCK,
        optional: true,
        label: { type: 'plain_text', text: 'Tell us what was wrong with this answer (optional)' },
        element: {
          type: 'plain_text_input',
          action_id: FEEDBACK_FORM_INPUT,
          multiline: true,
          max_length: maxChars,
          placeholder: { type: 'plain_text', text: 'e.g. the SQL does not run on Postgres 15' },
        },
      },
    ],
  };
}
