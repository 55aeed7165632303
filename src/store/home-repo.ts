import { and, asc, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { DigestTask } from '../core/digest/digest-facts.js';
import type { CollaborationRequest } from '../core/domain.js';
import type { HomeStore } from '../core/home/home.js';
import { toRequest } from './collaboration-rows.js';
import type { Db } from './db.js';
import { collaborationRequests, tasks } from './schema.js';

/** The Home tab's reads; both use an index on (team_id, person, …). */
export class SqliteHomeStore implements HomeStore {
  constructor(private readonly db: Db) {}

  async recentTasksOf(teamId: string, userId: string, limit: number): Promise<DigestTask[]> {
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
      .limit(limit)
      .all();
  }

  async openRequestsOwnedBy(teamId: string, userId: string, limit: number): Promise<CollaborationRequest[]> {
    return this.db
      .select()
      .from(collaborationRequests)
      .where(
        and(
          eq(collaborationRequests.teamId, teamId),
          eq(collaborationRequests.ownerId, userId),
          eq(collaborationRequests.ownerKind, 'user'),
          inArray(collaborationRequests.status, ['open', 'acknowledged']),
          // Pinged: only requests the owner was shown where they could read them.
          isNotNull(collaborationRequests.pingTs),
        ),
      )
      .orderBy(asc(collaborationRequests.createdAt))
      .limit(limit)
      .all()
      .map(toRequest);
  }
}
