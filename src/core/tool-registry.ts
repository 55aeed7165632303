import type { AgentTool } from './agent-tool.js';
import { publishDataDictionaryTool } from './artifacts/publish-dictionary-tool.js';
import { requestCollaborationTool } from './collaboration/request-collaboration-tool.js';
import { proposeQualityChecksTool } from './quality-monitor/propose-checks-tool.js';
import { runSqlAgentTool } from './sandbox/run-sql-agent-tool.js';
import { askClarifyingQuestionsTool } from './tasks/clarifying-questions-tool.js';

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
] as const;

// biome-ignore lint/suspicious/noExplicitAny: any input; only the deps are collected.
type DepsOf<Tool> = Tool extends AgentTool<any, infer Deps> ? Deps : never;
type Intersection<Union> = (Union extends unknown ? (x: Union) => void : never) extends (x: infer All) => void
  ? All
  : never;

/** What the registered tools need, together: the turn that runs them must provide all of it. */
export type ToolDeps = Intersection<DepsOf<(typeof TOOLS_IN_ORDER)[number]>>;

export const AGENT_TOOLS: readonly AgentTool<unknown, ToolDeps>[] = TOOLS_IN_ORDER;
