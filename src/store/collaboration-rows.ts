import type { CollaborationRequest } from '../core/domain.js';
import type { CollaborationRequestRow } from './schema.js';

/** Topics match when they differ only in case, spacing or punctuation. */
export function topicKey(topic: string): string {
  return topic
    .toLowerCase()
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function toRequest(row: CollaborationRequestRow): CollaborationRequest {
  return {
    id: row.id,
    teamId: row.teamId,
    taskId: row.taskId,
    channelId: row.channelId,
    threadTs: row.threadTs,
    role: row.role,
    topic: row.topic,
    request: row.request,
    reason: row.reason,
    owner: row.ownerKind && row.ownerId ? { kind: row.ownerKind, id: row.ownerId } : null,
    status: row.status,
    pingTs: row.pingTs,
    acknowledgedBy: row.acknowledgedBy,
    acknowledgedAt: row.acknowledgedAt,
    doneBy: row.doneBy,
    doneAt: row.doneAt,
    createdAt: row.createdAt,
  };
}
