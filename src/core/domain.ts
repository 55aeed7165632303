/** Domain types shared by the use cases. Plain data: no SDK or storage types leak in here. */

export type TaskStatus = 'queued' | 'running' | 'waiting_for_answers' | 'done' | 'failed';
export type TaskSource = 'command' | 'mention' | 'dm';

export interface Task {
  id: number;
  teamId: string;
  channelId: string;
  threadTs: string | null;
  requesterId: string;
  source: TaskSource;
  text: string;
  title: string;
  status: TaskStatus;
  answerTs: string | null;
  failureReason: string | null;
  contextTrimmed: boolean;
  /** The thread message with the Stop button while an answer is written; a resumed answer reuses it. */
  stopControlTs?: string | null;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const NO_USAGE: Usage = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

/** Where a Slack delivery came from, so the same delivery is never handled twice. */
export interface DeliveryKey {
  deliveryId?: string;
  channelId?: string;
  messageTs?: string;
}

/** The disciplines a data solution may need, each with an owner per workspace (or per channel). */
export const COLLABORATION_ROLES = ['backend', 'devops', 'security', 'qa'] as const;
export type CollaborationRole = (typeof COLLABORATION_ROLES)[number];

/** Who owns a role: one person (`<@U…>`) or a user group (`<!subteam^S…>`). */
export interface OwnerRef {
  kind: 'user' | 'group';
  id: string;
}

export interface OwnerAssignment extends OwnerRef {
  role: CollaborationRole;
  /** Set for this channel only, or the workspace default. */
  scope: 'channel' | 'workspace';
  setBy: string;
  updatedAt: number;
}

export type CollaborationStatus = 'open' | 'acknowledged' | 'done';

/** The agent asked for another discipline's help on a task; the bot pings that role's owner. */
export interface CollaborationRequest {
  id: number;
  teamId: string;
  taskId: number;
  channelId: string;
  threadTs: string;
  role: CollaborationRole;
  topic: string;
  request: string;
  reason: string;
  /** Null while no owner is configured for the role (the request is unassigned). */
  owner: OwnerRef | null;
  status: CollaborationStatus;
  /** The ping message, once posted. */
  pingTs: string | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  doneBy: string | null;
  doneAt: number | null;
  createdAt: number;
}
