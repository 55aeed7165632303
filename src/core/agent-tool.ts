import type { z } from 'zod';
import type { ToolCall, ToolResult, ToolRound } from './agent-port.js';
import type { Task } from './domain.js';

/**
 * An agent tool: what Claude is told (name, description, the zod schema its input must satisfy) and
 * what the bot does when it is called. The JSON Schema Claude sees is generated from `input`
 * (src/agent/tools.ts), so a field's description lives once, on the schema (`.describe()`).
 * Register a tool in src/core/tool-registry.ts.
 */
export interface AgentTool<Input, Deps> {
  name: string;
  /** Part of the cached prompt prefix: changing it costs every thread one cache write. */
  description: string;
  input: z.ZodType<Input>;
  /**
   * A tool that ends the turn (asks the humans something): when the model calls it with valid input,
   * the turn ends there, no other call of that round runs, and the bot posts `run`'s text in the
   * thread; the task waits for a reply. Otherwise `run`'s text is the tool result and the model continues.
   */
  endsTurn?: boolean;
  run(input: Input, context: ToolContext<Deps>): ToolReply | Promise<ToolReply>;
  /** The model's input was refused by `input` (the model is told why): e.g. to audit the attempt. */
  onInvalidInput?(input: unknown, problems: string, context: ToolContext<Deps>): void | Promise<void>;
}

/** A tool's reply: its text, or its text marked as an error the model should act on. */
export type ToolReply = string | { text: string; isError: boolean };

function replyText(reply: ToolReply): string {
  return typeof reply === 'string' ? reply : reply.text;
}

/**
 * What a tool may use: the task whose answer is being written, and the ports it names in `Deps`
 * (the registry collects them; the turn must provide them all).
 */
export interface ToolContext<Deps> {
  deps: Deps;
  task: Task & { threadTs: string };
}

/** Keeps `run`'s input typed as the schema's output while the registry holds tools side by side. */
export function defineTool<Schema extends z.ZodType, Deps = unknown>(tool: {
  name: string;
  description: string;
  input: Schema;
  endsTurn?: boolean;
  run(input: z.output<Schema>, context: ToolContext<Deps>): ToolReply | Promise<ToolReply>;
  onInvalidInput?(input: unknown, problems: string, context: ToolContext<Deps>): void | Promise<void>;
}): AgentTool<z.output<Schema>, Deps> {
  return tool as AgentTool<z.output<Schema>, Deps>;
}

/** The longest error text a tool result carries back to the model. */
const MAX_PROBLEM_CHARS = 1_000;

/**
 * Runs one round of the model's tool calls. Turn-ending tools are looked at first: one called with
 * valid input ends the turn and nothing else of the round runs. Otherwise, when the model may
 * continue, every call gets exactly one result, in order: the tool's text, or an error for an unknown
 * tool or input the schema refuses (the model reads why and may call again).
 */
export async function runToolRound<Deps>(
  tools: readonly AgentTool<unknown, Deps>[],
  calls: readonly ToolCall[],
  context: ToolContext<Deps>,
  options: { mayContinue: boolean },
): Promise<ToolRound | undefined> {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const endings: string[] = [];
  for (const call of calls) {
    const tool = byName.get(call.name);
    if (!tool?.endsTurn) continue;
    const input = tool.input.safeParse(call.input);
    if (input.success) endings.push(replyText(await tool.run(input.data, context)));
  }
  if (endings.length > 0) return { endTurn: endings.join('\n\n') };
  if (!options.mayContinue) return undefined;
  const results: ToolResult[] = [];
  for (const call of calls) {
    const tool = byName.get(call.name);
    const reply = (text: string, isError = false) => results.push({ id: call.id, text, isError });
    if (!tool) {
      reply(`Unknown tool ${call.name}.`, true);
      continue;
    }
    const input = tool.input.safeParse(call.input);
    if (!input.success) {
      const problems = input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      await tool.onInvalidInput?.(call.input, problems.slice(0, MAX_PROBLEM_CHARS), context);
      reply(
        `Not recorded: ${problems.slice(0, MAX_PROBLEM_CHARS)}. Fix the input and call again, or continue without it.`,
        true,
      );
      continue;
    }
    const output = await tool.run(input.data, context);
    if (typeof output === 'string') reply(output);
    else reply(output.text, output.isError);
  }
  return { results };
}
