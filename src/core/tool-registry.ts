import type { AgentTool } from './agent-tool.js';
import { askClarifyingQuestionsTool } from './clarifying-questions-tool.js';
import { requestCollaborationTool } from './collaboration/request-collaboration-tool.js';

/**
 * Every tool the agent is offered, in the order Claude sees them. Tools open the cached prompt
 * prefix: append new tools at the end, never reorder, so existing cache entries stay valid.
 */
export const AGENT_TOOLS: readonly AgentTool[] = [askClarifyingQuestionsTool, requestCollaborationTool];
