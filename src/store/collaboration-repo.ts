import { and, asc, count, eq, inArray, isNotNull, isNull, ne, or } from 'drizzle-orm';
import type {
  AnnouncementKind,
  CollaborationStore,
  NewCollaborationRequest,
} from '../core/collaboration/collaboration-store.js';
import type { CollaborationRequest, CollaborationRole, OwnerAssignment, OwnerRef } from '../core/domain.js';
import { topicKey, toRequest } from './collaboration-rows.js';
import type { Db } from './db.js';
import { SqliteOwners } from './owner-repo.js';
import { collaborationRequests as requests } from './schema.js';

/** Which column records that a request's ping, its "no owner yet" guidance or its invite note was posted. */
const claimColumn = {
  ping: requests.pingedAt,
  guidance: requests.guidedAt,
  invite: requests.invitedAt,
} as const;
const claimField = { ping: 'pingedAt', guidance: 'guidedAt', invite: 'invitedAt' } as const;

/** SQLite-backed CollaborationStore. Every statement filters by team_id. */
export class SqliteCollaborationStore implements CollaborationStore {
  private readonly owners: SqliteOwners;

  constructor(private readonly db: Db) {
    this.owners = new SqliteOwners(db);
  }

  async effectiveOwners(teamId: string, channelId: string): Promise<Map<CollaborationRole, OwnerAssignment>> {
    return this.owners.effectiveOwners(teamId, channelId);
  }

  async setOwner(
    teamId: string,
    channelId: string | undefined,
    role: CollaborationRole,
    owner: OwnerRef,
    setBy: string,
  ): Promise<void> {
    this.owners.setOwner(teamId, channelId, role, owner, setBy);
  }

  async clearOwner(teamId: string, channelId: string | undefined, role: CollaborationRole): Promise<boolean> {
    return this.owners.clearOwner(teamId, channelId, role);
  }

  async recordRequest(input: NewCollaborationRequest): Promise<{
    request: CollaborationRequest;
    created: boolean;
    sameTopic: boolean;
  }> {
    const key = topicKey(input.topic);
    // One transaction: the look-ups and the insert see the same rows (one job per task runs at a time).
    return this.db.transaction(
      (tx) => {
        const byRole = and(
          eq(requests.teamId, input.teamId),
          eq(requests.taskId, input.taskId),
          eq(requests.role, input.role),
        );
        const earlier = tx
          .select()
          .from(requests)
          .where(and(byRole, eq(requests.topicKey, key)))
          .get();
        if (earlier) return { request: toRequest(earlier), created: false, sameTopic: true };
        // At most one request per role and task, whatever its status: a model cannot page an owner forty
        // times, nor again after the requester pressed Done (at most four pings per task).
        const asked = tx.select().from(requests).where(byRole).orderBy(asc(requests.id)).get();
        if (asked) return { request: toRequest(asked), created: false, sameTopic: false };
        const row = tx
          .insert(requests)
          .values({
            teamId: input.teamId,
            taskId: input.taskId,
            channelId: input.channelId,
            threadTs: input.threadTs,
            role: input.role,
            topic: input.topic,
            topicKey: key,
            request: input.request,
            reason: input.reason,
            ownerKind: input.owner?.kind ?? null,
            ownerId: input.owner?.id ?? null,
          })
          .returning()
          .get();
        return { request: toRequest(row), created: true, sameTopic: false };
      },
      { behavior: 'immediate' },
    );
  }

  async getRequest(teamId: string, requestId: number): Promise<CollaborationRequest | undefined> {
    return this.findRequest(teamId, requestId);
  }

  /** getRequest without the promise: `advance` reads the row right after its update, with no await between. */
  private findRequest(teamId: string, requestId: number): CollaborationRequest | undefined {
    const row = this.db
      .select()
      .from(requests)
      .where(and(eq(requests.teamId, teamId), eq(requests.id, requestId)))
      .get();
    return row ? toRequest(row) : undefined;
  }

  async unannounced(teamId: string, taskId: number): Promise<CollaborationRequest[]> {
    return this.db
      .select()
      .from(requests)
      .where(
        and(
          eq(requests.teamId, teamId),
          eq(requests.taskId, taskId),
          ne(requests.status, 'done'),
          or(
            and(isNotNull(requests.ownerId), or(isNull(requests.pingedAt), eq(requests.announcing, 'ping'))),
            and(isNull(requests.ownerId), or(isNull(requests.guidedAt), eq(requests.announcing, 'guidance'))),
          ),
        ),
      )
      .orderBy(asc(requests.id))
      .all()
      .map(toRequest);
  }

  async unassigned(teamId: string, role: CollaborationRole): Promise<CollaborationRequest[]> {
    return this.db
      .select()
      .from(requests)
      .where(
        and(
          eq(requests.teamId, teamId),
          eq(requests.role, role),
          isNull(requests.ownerId),
          ne(requests.status, 'done'),
        ),
      )
      .orderBy(asc(requests.id))
      .all()
      .map(toRequest);
  }

  async assignOwner(teamId: string, requestId: number, owner: OwnerRef): Promise<boolean> {
    return (
      this.db
        .update(requests)
        .set({ ownerKind: owner.kind, ownerId: owner.id })
        .where(and(eq(requests.teamId, teamId), eq(requests.id, requestId), isNull(requests.ownerId)))
        .run().changes > 0
    );
  }

  async claimAnnouncement(
    teamId: string,
    requestId: number,
    kind: AnnouncementKind,
  ): Promise<'first' | 'unconfirmed' | undefined> {
    const mine = and(eq(requests.teamId, teamId), eq(requests.id, requestId));
    const claim = { [claimField[kind]]: Date.now(), announcing: kind };
    const first = this.db
      .update(requests)
      .set(claim)
      .where(and(mine, isNull(claimColumn[kind])))
      .run();
    if (first.changes > 0) return 'first';
    // Claimed by a run that never confirmed the post: claimable again (compare-and-set on the marker).
    const again = this.db
      .update(requests)
      .set(claim)
      .where(and(mine, eq(requests.announcing, kind)))
      .run();
    return again.changes > 0 ? 'unconfirmed' : undefined;
  }

  async confirmAnnouncement(
    teamId: string,
    requestId: number,
    kind: AnnouncementKind,
    ts: string,
  ): Promise<void> {
    this.db
      .update(requests)
      .set({ announcing: null, ...(kind === 'ping' ? { pingTs: ts } : {}) })
      .where(and(eq(requests.teamId, teamId), eq(requests.id, requestId), eq(requests.announcing, kind)))
      .run();
  }

  async advance(
    teamId: string,
    requestId: number,
    to: 'acknowledged' | 'done',
    userId: string,
  ): Promise<{ request: CollaborationRequest; changed: boolean } | undefined> {
    const from = to === 'acknowledged' ? ['open'] : ['open', 'acknowledged'];
    const set =
      to === 'acknowledged'
        ? { status: to, acknowledgedBy: userId, acknowledgedAt: Date.now() }
        : { status: to, doneBy: userId, doneAt: Date.now() };
    const updated = this.db
      .update(requests)
      .set(set)
      .where(
        and(
          eq(requests.teamId, teamId),
          eq(requests.id, requestId),
          inArray(requests.status, from as ('open' | 'acknowledged')[]),
        ),
      )
      .returning()
      .get();
    if (updated) return { request: toRequest(updated), changed: true };
    const current = this.findRequest(teamId, requestId);
    return current ? { request: current, changed: false } : undefined;
  }

  async openInChannel(
    teamId: string,
    channelId: string,
    limit: number,
  ): Promise<{ requests: CollaborationRequest[]; total: number }> {
    const where = and(
      eq(requests.teamId, teamId),
      eq(requests.channelId, channelId),
      inArray(requests.status, ['open', 'acknowledged']),
    );
    const rows = this.db
      .select()
      .from(requests)
      .where(where)
      .orderBy(asc(requests.createdAt))
      .limit(limit)
      .all();
    const total = this.db.select({ n: count() }).from(requests).where(where).get()?.n ?? 0;
    return { requests: rows.map(toRequest), total };
  }
}
