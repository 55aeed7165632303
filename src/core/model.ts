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
