import { and, asc, count, eq, inArray, isNotNull, isNull, ne, or } from 'drizzle-orm';
import type {
  AnnouncementKind,
  CollaborationStore,
  NewCollaborationRequest,
} from '../../core/collaboration/collaboration-store.js';
import type {
  CollaborationRequest,
  CollaborationRole,
  OwnerAssignment,
  OwnerRef,
} from '../../core/domain.js';
import { topicKey, toRequest } from '../collaboration-rows.js';
import type { PgDb } from './db.js';
import { lockForTransaction } from './locks.js';
import { collaborationRequests as requests } from './schema.js';
import { PostgresOwners } from './settings-repos.js';

/** Which column records that a request's ping, its "no owner yet" guidance or its invite note was posted. */
const claimColumn = {
  ping: requests.pingedAt,
  guidance: requests.guidedAt,
  invite: requests.invitedAt,
} as const;
const claimField = { ping: 'pingedAt', guidance: 'guidedAt', invite: 'invitedAt' } as const;

/**
 * Owners and collaboration requests on PostgreSQL (see ../collaboration-repo.ts). Every statement
 * filters by team_id. Several instances run at once, so each check-then-act is a conditional update
 * (the row lock makes the second writer re-check its condition) or runs under a transaction lock.
 */
export class PostgresCollaborationStore implements CollaborationStore {
  private readonly owners: PostgresOwners;

  constructor(private readonly db: PgDb) {
    this.owners = new PostgresOwners(db);
  }

  effectiveOwners(teamId: string, channelId: string): Promise<Map<CollaborationRole, OwnerAssignment>> {
    return this.owners.effectiveOwners(teamId, channelId);
  }

  setOwner(
    teamId: string,
    channelId: string | undefined,
    role: CollaborationRole,
    owner: OwnerRef,
    setBy: string,
  ): Promise<void> {
    return this.owners.setOwner(teamId, channelId, role, owner, setBy);
  }

  clearOwner(teamId: string, channelId: string | undefined, role: CollaborationRole): Promise<boolean> {
    return this.owners.clearOwner(teamId, channelId, role);
  }

  /**
   * At most one request per task and role: no unique key says so (the key is per topic), so the look-ups
   * and the insert run under a lock on (team, task, role); two instances asking at once store one.
   */
  recordRequest(
    input: NewCollaborationRequest,
  ): Promise<{ request: CollaborationRequest; created: boolean; sameTopic: boolean }> {
    const key = topicKey(input.topic);
    return this.db.transaction(async (tx) => {
      await lockForTransaction(tx, `collaboration:${input.teamId}:${input.taskId}:${input.role}`);
      const byRole = and(
        eq(requests.teamId, input.teamId),
        eq(requests.taskId, input.taskId),
        eq(requests.role, input.role),
      );
      const [earlier] = await tx
        .select()
        .from(requests)
        .where(and(byRole, eq(requests.topicKey, key)));
      if (earlier) return { request: toRequest(earlier), created: false, sameTopic: true };
      const [asked] = await tx.select().from(requests).where(byRole).orderBy(asc(requests.id)).limit(1);
      if (asked) return { request: toRequest(asked), created: false, sameTopic: false };
      const [row] = await tx
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
        .returning();
      if (!row) throw new Error('the collaboration request was not stored');
      return { request: toRequest(row), created: true, sameTopic: false };
    });
  }

  async getRequest(teamId: string, requestId: number): Promise<CollaborationRequest | undefined> {
    const [row] = await this.db
      .select()
      .from(requests)
      .where(and(eq(requests.teamId, teamId), eq(requests.id, requestId)));
    return row ? toRequest(row) : undefined;
  }

  async unannounced(teamId: string, taskId: number): Promise<CollaborationRequest[]> {
    const rows = await this.db
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
      .orderBy(asc(requests.id));
    return rows.map(toRequest);
  }

  async unassigned(teamId: string, role: CollaborationRole): Promise<CollaborationRequest[]> {
    const rows = await this.db
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
      .orderBy(asc(requests.id));
    return rows.map(toRequest);
  }

  async assignOwner(teamId: string, requestId: number, owner: OwnerRef): Promise<boolean> {
    const updated = await this.db
      .update(requests)
      .set({ ownerKind: owner.kind, ownerId: owner.id })
      .where(and(eq(requests.teamId, teamId), eq(requests.id, requestId), isNull(requests.ownerId)))
      .returning({ id: requests.id });
    return updated.length > 0;
  }

  /**
   * Two compare-and-set updates, as on SQLite: a second caller waits on the row lock and re-checks
   * `… is null` against the first one's commit, so exactly one caller gets 'first'.
   */
  async claimAnnouncement(
    teamId: string,
    requestId: number,
    kind: AnnouncementKind,
  ): Promise<'first' | 'unconfirmed' | undefined> {
    const mine = and(eq(requests.teamId, teamId), eq(requests.id, requestId));
    const claim = { [claimField[kind]]: Date.now(), announcing: kind };
    const first = await this.db
      .update(requests)
      .set(claim)
      .where(and(mine, isNull(claimColumn[kind])))
      .returning({ id: requests.id });
    if (first.length > 0) return 'first';
    const again = await this.db
      .update(requests)
      .set(claim)
      .where(and(mine, eq(requests.announcing, kind)))
      .returning({ id: requests.id });
    return again.length > 0 ? 'unconfirmed' : undefined;
  }

  async confirmAnnouncement(
    teamId: string,
    requestId: number,
    kind: AnnouncementKind,
    ts: string,
  ): Promise<void> {
    await this.db
      .update(requests)
      .set({ announcing: null, ...(kind === 'ping' ? { pingTs: ts } : {}) })
      .where(and(eq(requests.teamId, teamId), eq(requests.id, requestId), eq(requests.announcing, kind)));
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
    const [updated] = await this.db
      .update(requests)
      .set(set)
      .where(
        and(
          eq(requests.teamId, teamId),
          eq(requests.id, requestId),
          inArray(requests.status, from as ('open' | 'acknowledged')[]),
        ),
      )
      .returning();
    if (updated) return { request: toRequest(updated), changed: true };
    const current = await this.getRequest(teamId, requestId);
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
    const rows = await this.db
      .select()
      .from(requests)
      .where(where)
      .orderBy(asc(requests.createdAt), asc(requests.id))
      .limit(limit);
    const [counted] = await this.db.select({ n: count() }).from(requests).where(where);
    return { requests: rows.map(toRequest), total: counted?.n ?? 0 };
  }
}
