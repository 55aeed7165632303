import { z } from 'zod';
import type { AgentTool } from './agent-tool.js';
import { publishDataDictionaryTool } from './artifacts/publish-dictionary-tool.js';
import { requestCollaborationTool } from './collaboration/request-collaboration-tool.js';
import { DATA_TOOL_NAMES } from './data-sources/data-tool-names.js';
import {
  describeTableTool,
  explainQueryTool,
  listTablesTool,
  profileColumnsTool,
  runQueryTool,
  sampleRowsTool,
} from './data-sources/data-tools.js';
import { proposeQualityChecksTool } from './quality-monitor/propose-checks-tool.js';
import { runSqlAgentTool } from './sandbox/run-sql-agent-tool.js';
import { askClarifyingQuestionsTool } from './tasks/clarifying-questions-tool.js';
import { estimateTokens } from './tasks/context-budget.js';

/**
 * Every tool the agent is offered, in the order Claude sees them. Tools open the cached prompt
 * prefix: append new tools at the end, never reorder, so existing cache entries stay valid.
 */
const TOOLS_IN_ORDER = [
  askClarifyingQuestionsTool,
  requestCollaborationTool,
  runSqlAgentTool,
  publishDataDictionaryTool,
  proposeQualityChecksTool,
  // The data tools, offered only in a channel mapped to a data source (toolsForTask): last, so an
  // unmapped channel's tools are the prefix above, byte for byte.
  listTablesTool,
  describeTableTool,
  sampleRowsTool,
  profileColumnsTool,
  explainQueryTool,
  runQueryTool,
] as const;

// biome-ignore lint/suspicious/noExplicitAny: any input; only the deps are collected.
type DepsOf<Tool> = Tool extends AgentTool<any, infer Deps> ? Deps : never;
type Intersection<Union> = (Union extends unknown ? (x: Union) => void : never) extends (x: infer All) => void
  ? All
  : never;

/** What the registered tools need, together: the turn that runs them must provide all of it. */
export type ToolDeps = Intersection<DepsOf<(typeof TOOLS_IN_ORDER)[number]>>;

export const AGENT_TOOLS: readonly AgentTool<unknown, ToolDeps>[] = TOOLS_IN_ORDER;

/** The tools of a task in a channel without a data source: what every task was offered before. */
export const BASE_AGENT_TOOLS: readonly AgentTool<unknown, ToolDeps>[] = Object.freeze(
  AGENT_TOOLS.filter((tool) => !DATA_TOOL_NAMES.has(tool.name)),
);

/** The tools one task is offered: the data tools only where its channel has a data source. */
export function toolsForTask(grounding: { data?: unknown }): readonly AgentTool<unknown, ToolDeps>[] {
  return grounding.data ? AGENT_TOOLS : BASE_AGENT_TOOLS;
}

/** Estimated tokens the data tools add to a request's tool list (kept out of the conversation's budget). */
export const DATA_TOOL_TOKENS = estimateTokens(
  JSON.stringify(
    AGENT_TOOLS.filter((tool) => DATA_TOOL_NAMES.has(tool.name)).map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: z.toJSONSchema(tool.input, { io: 'input' }),
    })),
  ),
);
