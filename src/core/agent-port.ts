import type { AgentTool } from './agent-tool.js';
import type { Turn, Usage } from './domain.js';

/** The model, as the core sees it; src/agent/ plugs in Claude, so the core never imports its SDK. */

/** What the model produced for one turn. */
export interface AgentResult {
  text: string;
  /**
   * A turn-ending tool was called (e.g. ask_clarifying_questions): the text the bot posts after the
   * answer's text; the task then waits for a human reply.
   */
  waitingText?: string;
  stopReason: string | null;
  usage: Usage;
  model: string;
}

/** A tool call of the model, as it came (its input not validated yet). */
export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** One result per tool call, sent back to the model in the calls' order. */
export interface ToolResult {
  id: string;
  text: string;
  isError: boolean;
}

export type ToolRound = { endTurn: string } | { results: ToolResult[] };

export interface AgentCallbacks {
  onText(delta: string): void;
  /**
   * Runs the tool calls of one model round (src/core/agent-tool.ts): the results to send back before
   * the model continues, the text of a turn-ending tool, or undefined when the model may not
   * continue (`mayContinue` false) and no tool ended the turn. Absent: tool calls end the answer.
   */
  runTools?(calls: ToolCall[], options: { mayContinue: boolean }): Promise<ToolRound | undefined>;
  /** The stream broke after some text and will be requested again: discard what was written so far. */
  onRestart(reason: string): Promise<void>;
  /** Claude failed in a way worth retrying; the next attempt starts after `delayMs`. */
  onRetry?(retry: { attempt: number; delayMs: number; reason: string }): void;
  /** Aborts the model call (the request's connection is closed) and every retry after it. */
  signal?: AbortSignal;
}

export interface AgentPort {
  readonly model: string;
  /** Estimated tokens of what precedes the conversation in every request (system prompt, tools). */
  readonly fixedPromptTokens: number;
  answer(conversation: Turn[], callbacks: AgentCallbacks, setup?: AnswerSetup): Promise<AgentResult>;
}

/**
 * What one task's requests carry besides the fixed prompt. Absent fields: exactly what every task
 * sent before data sources and team context existed (the registry's base tools, no extra system text).
 */
export interface AnswerSetup {
  /** The tools offered, a registry list (src/core/tool-registry.ts `toolsForTask`). */
  tools?: readonly AgentTool<unknown, never>[];
  /** Text sent after the cached system prompt (the channel's data source and team context). */
  instructions?: string;
}
