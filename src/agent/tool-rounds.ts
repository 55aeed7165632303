import type {
  ContentBlock,
  ContentBlockParam,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { ToolCall, ToolResult } from '../core/agent-port.js';

/** Sending tool calls back to the model: its blocks as request params, and one result per call. */

/** The round's tool calls, in the order the model made them. */
export function toolCalls(content: ContentBlockParam[]): ToolCall[] {
  return content.flatMap((block) =>
    block.type === 'tool_use' ? [{ id: block.id, name: block.name, input: block.input }] : [],
  );
}

/** One tool_result per tool_use block of the round, as the API requires. */
export function toolResultBlocks(results: ToolResult[]): ToolResultBlockParam[] {
  return results.map((result) => ({
    type: 'tool_result',
    tool_use_id: result.id,
    content: result.text,
    ...(result.isError ? { is_error: true } : {}),
  }));
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
