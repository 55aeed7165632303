import type { Tool } from '@anthropic-ai/sdk/resources/messages/messages';
import { z } from 'zod';
import type { AgentTool } from '../core/agent-tool.js';
import { BASE_AGENT_TOOLS } from '../core/tool-registry.js';

/**
 * The registry's tools as the Messages API takes them. The input schema is generated from each tool's
 * zod schema (what the model must send: `io: 'input'`), without the `$schema` marker. Generated once,
 * in registry order: tools are the start of the cached prompt prefix, so every request sends the same bytes.
 */
export function toAnthropicTools(tools: readonly AgentTool<unknown, never>[]): Tool[] {
  return tools.map((tool) => {
    const { $schema: _dialect, ...schema } = z.toJSONSchema(tool.input, { io: 'input' });
    if (schema.type !== 'object') throw new Error(`Tool ${tool.name}: its input must be a zod object.`);
    return {
      name: tool.name,
      description: tool.description,
      input_schema: { ...schema, type: 'object' },
    };
  });
}

/** What every task is offered (a channel without a data source): the cached prefix of today. */
export const TOOLS: readonly Tool[] = Object.freeze(toAnthropicTools(BASE_AGENT_TOOLS));

const converted = new WeakMap<readonly AgentTool<unknown, never>[], readonly Tool[]>();

/** A registry list as the API takes it, generated once per list, so its bytes never vary. */
export function anthropicToolsFor(tools: readonly AgentTool<unknown, never>[] | undefined): readonly Tool[] {
  if (!tools || tools === BASE_AGENT_TOOLS) return TOOLS;
  let known = converted.get(tools);
  if (!known) {
    known = Object.freeze(toAnthropicTools(tools));
    converted.set(tools, known);
  }
  return known;
}
