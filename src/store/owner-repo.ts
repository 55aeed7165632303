import { and, eq, inArray } from 'drizzle-orm';
import type { CollaborationRole, OwnerAssignment, OwnerRef } from '../core/domain.js';
import type { Db } from './db.js';
import { owners } from './schema.js';

/** The workspace-wide owner row uses '' as its channel (see schema.ts). */
export const WORKSPACE_OWNER_CHANNEL = '';
const WORKSPACE = WORKSPACE_OWNER_CHANNEL;

interface OwnerRow {
  role: CollaborationRole;
  kind: OwnerRef['kind'];
  targetId: string;
  channelId: string;
  setBy: string;
  updatedAt: number;
}

/** A channel's owners from its rows and the workspace's (either store's). */
export function effectiveOwnersOf(rows: OwnerRow[]): Map<CollaborationRole, OwnerAssignment> {
  const result = new Map<CollaborationRole, OwnerAssignment>();
  // Workspace defaults first, so a channel's own owner overwrites them.
  for (const row of [...rows].sort((a, b) => a.channelId.length - b.channelId.length)) {
    result.set(row.role, {
      role: row.role,
      kind: row.kind,
      id: row.targetId,
      scope: row.channelId === WORKSPACE ? 'workspace' : 'channel',
      setBy: row.setBy,
      updatedAt: row.updatedAt,
    });
  }
  return result;
}

/** Who owns each collaboration role, per channel or as the workspace default. Every statement filters by team_id. */
export class SqliteOwners {
  constructor(private readonly db: Db) {}

  effectiveOwners(teamId: string, channelId: string): Map<CollaborationRole, OwnerAssignment> {
    return effectiveOwnersOf(
      this.db
        .select()
        .from(owners)
        .where(and(eq(owners.teamId, teamId), inArray(owners.channelId, [WORKSPACE, channelId])))
        .all(),
    );
  }

  setOwner(
    teamId: string,
    channelId: string | undefined,
    role: CollaborationRole,
    owner: OwnerRef,
    setBy: string,
  ): void {
    const values = { kind: owner.kind, targetId: owner.id, setBy, updatedAt: Date.now() };
    this.db
      .insert(owners)
      .values({ teamId, channelId: channelId ?? WORKSPACE, role, ...values })
      .onConflictDoUpdate({ target: [owners.teamId, owners.channelId, owners.role], set: values })
      .run();
  }

  clearOwner(teamId: string, channelId: string | undefined, role: CollaborationRole): boolean {
    const result = this.db
      .delete(owners)
      .where(
        and(eq(owners.teamId, teamId), eq(owners.channelId, channelId ?? WORKSPACE), eq(owners.role, role)),
      )
      .run();
    return result.changes > 0;
  }
}
