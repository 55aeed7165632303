import type {
  ContentBlock,
  ContentBlockParam,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { AgentCallbacks } from '../core/ports.js';
import { collaborationInput, REQUEST_COLLABORATION } from './tools.js';

/** Sending tool calls back to the model: its blocks as request params, and one result per call. */

/** One tool_result per tool_use block of the round, as the API requires. */
export async function toolResults(
  content: ContentBlockParam[],
  callbacks: AgentCallbacks,
): Promise<ToolResultBlockParam[]> {
  const results: ToolResultBlockParam[] = [];
  for (const block of content) {
    if (block.type !== 'tool_use') continue;
    const reply = (text: string, isError = false): ToolResultBlockParam => ({
      type: 'tool_result',
      tool_use_id: block.id,
      content: text,
      ...(isError ? { is_error: true } : {}),
    });
    if (block.name !== REQUEST_COLLABORATION || !callbacks.onCollaborationRequest) {
      results.push(reply(`Unknown tool ${block.name}.`, true));
      continue;
    }
    const input = collaborationInput.safeParse(block.input);
    if (!input.success) {
      const problems = input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      results.push(
        reply(`Not recorded: ${problems}. Fix the input and call again, or continue without it.`, true),
      );
      continue;
    }
    results.push(reply(await callbacks.onCollaborationRequest(input.data)));
  }
  return results;
}

/** The response's blocks in the shape a request accepts (thinking blocks keep their signatures). */
export function toParams(content: ContentBlock[]): ContentBlockParam[] {
  return content.flatMap((block): ContentBlockParam[] => {
    switch (block.type) {
      case 'text':
        return [{ type: 'text', text: block.text }];
      case 'tool_use':
        return [{ type: 'tool_use', id: block.id, name: block.name, input: block.input }];
      case 'thinking':
        return [{ type: 'thinking', thinking: block.thinking, signature: block.signature }];
      case 'redacted_thinking':
        return [{ type: 'redacted_thinking', data: block.data }];
      default:
        return [];
    }
  });
}
