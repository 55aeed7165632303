import { and, asc, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type {
  DataToolAuditStore,
  DataToolCallRecord,
  StoredDataToolCall,
} from '../../core/data-sources/data-tool-audit.js';
import type { DigestTask } from '../../core/digest/digest-facts.js';
import type { CollaborationRequest } from '../../core/domain.js';
import type { HomeStore } from '../../core/home/home.js';
import { toRequest } from '../collaboration-rows.js';
import { auditLimit, auditRowOf, toStoredCall } from '../data-audit-repo.js';
import type { PgDb } from './db.js';
import { collaborationRequests, dataToolCalls, tasks } from './schema.js';

/** The data-tool audit on PostgreSQL. Every statement filters by team_id. */
export class PostgresDataToolAuditStore implements DataToolAuditStore {
  constructor(private readonly db: PgDb) {}

  async record(call: DataToolCallRecord): Promise<void> {
    await this.db.insert(dataToolCalls).values(auditRowOf(call));
  }

  async recent(
    teamId: string,
    options: { channelId?: string; limit: number },
  ): Promise<StoredDataToolCall[]> {
    const where = options.channelId
      ? and(eq(dataToolCalls.teamId, teamId), eq(dataToolCalls.channelId, options.channelId))
      : eq(dataToolCalls.teamId, teamId);
    const rows = await this.db
      .select()
      .from(dataToolCalls)
      .where(where)
      .orderBy(desc(dataToolCalls.createdAt), desc(dataToolCalls.id))
      .limit(auditLimit(options.limit));
    return rows.map(toStoredCall);
  }
}

/** The Home tab's reads on PostgreSQL (see ../home-repo.ts). */
export class PostgresHomeStore implements HomeStore {
  constructor(private readonly db: PgDb) {}

  recentTasksOf(teamId: string, userId: string, limit: number): Promise<DigestTask[]> {
    return this.db
      .select({
        id: tasks.id,
        title: tasks.title,
        status: tasks.status,
        channelId: tasks.channelId,
        threadTs: tasks.threadTs,
        requesterId: tasks.requesterId,
        at: tasks.createdAt,
      })
      .from(tasks)
      .where(and(eq(tasks.teamId, teamId), eq(tasks.requesterId, userId)))
      .orderBy(desc(tasks.createdAt))
      .limit(limit);
  }

  async openRequestsOwnedBy(teamId: string, userId: string, limit: number): Promise<CollaborationRequest[]> {
    const rows = await this.db
      .select()
      .from(collaborationRequests)
      .where(
        and(
          eq(collaborationRequests.teamId, teamId),
          eq(collaborationRequests.ownerId, userId),
          eq(collaborationRequests.ownerKind, 'user'),
          inArray(collaborationRequests.status, ['open', 'acknowledged']),
          isNotNull(collaborationRequests.pingTs),
        ),
      )
      .orderBy(asc(collaborationRequests.createdAt))
      .limit(limit);
    return rows.map(toRequest);
  }
}
