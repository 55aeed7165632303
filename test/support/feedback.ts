import type { FakeMessage } from './fake-slack.js';

/**
 * The 👍/👎 of a final answer sent as a message of its own (when the answer's message could not carry
 * them: posted and edited rather than streamed, or rewritten after a retry).
 */
export function isFeedbackPrompt(message: FakeMessage): boolean {
  return (
    message.markdown_text === undefined && JSON.stringify(message.blocks ?? []).includes('feedback_buttons')
  );
}
