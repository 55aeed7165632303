import { and, eq, inArray } from 'drizzle-orm';
import type { AssistantThread, AssistantThreadStore } from '../../core/assistant/assistant-threads.js';
import type { ChannelSource, ChannelSourceStore } from '../../core/data-sources/channel-sources.js';
import type { TeamContext, TeamContextStore } from '../../core/data-sources/team-context.js';
import type { CollaborationRole, OwnerAssignment, OwnerRef } from '../../core/domain.js';
import { effectiveOwnersOf, WORKSPACE_OWNER_CHANNEL } from '../owner-repo.js';
import type { PgDb } from './db.js';
import { assistantThreads, channelContexts, channelDataSources, owners } from './schema.js';

/**
 * The per-channel and per-workspace settings on PostgreSQL: owners, the channel's data source and team
 * context, side-panel threads. The same behaviour as their SQLite repos; every statement filters by team.
 */

export class PostgresOwners {
  constructor(private readonly db: PgDb) {}

  async effectiveOwners(teamId: string, channelId: string): Promise<Map<CollaborationRole, OwnerAssignment>> {
    const rows = await this.db
      .select()
      .from(owners)
      .where(and(eq(owners.teamId, teamId), inArray(owners.channelId, [WORKSPACE_OWNER_CHANNEL, channelId])));
    return effectiveOwnersOf(rows);
  }

  async setOwner(
    teamId: string,
    channelId: string | undefined,
    role: CollaborationRole,
    owner: OwnerRef,
    setBy: string,
  ): Promise<void> {
    const values = { kind: owner.kind, targetId: owner.id, setBy, updatedAt: Date.now() };
    await this.db
      .insert(owners)
      .values({ teamId, channelId: channelId ?? WORKSPACE_OWNER_CHANNEL, role, ...values })
      .onConflictDoUpdate({ target: [owners.teamId, owners.channelId, owners.role], set: values });
  }

  async clearOwner(teamId: string, channelId: string | undefined, role: CollaborationRole): Promise<boolean> {
    const deleted = await this.db
      .delete(owners)
      .where(
        and(
          eq(owners.teamId, teamId),
          eq(owners.channelId, channelId ?? WORKSPACE_OWNER_CHANNEL),
          eq(owners.role, role),
        ),
      )
      .returning({ id: owners.id });
    return deleted.length > 0;
  }
}

export class PostgresChannelSourceStore implements ChannelSourceStore {
  constructor(private readonly db: PgDb) {}

  async sourceOf(teamId: string, channelId: string): Promise<ChannelSource | undefined> {
    const [row] = await this.db
      .select()
      .from(channelDataSources)
      .where(and(eq(channelDataSources.teamId, teamId), eq(channelDataSources.channelId, channelId)));
    return row ? { sourceName: row.sourceName, setBy: row.setBy, setAt: row.setAt } : undefined;
  }

  async useSource(teamId: string, channelId: string, sourceName: string, setBy: string): Promise<void> {
    const values = { sourceName, setBy, setAt: Date.now() };
    await this.db
      .insert(channelDataSources)
      .values({ teamId, channelId, ...values })
      .onConflictDoUpdate({ target: [channelDataSources.teamId, channelDataSources.channelId], set: values });
  }

  async removeSource(teamId: string, channelId: string, sourceName: string): Promise<boolean> {
    const deleted = await this.db
      .delete(channelDataSources)
      .where(
        and(
          eq(channelDataSources.teamId, teamId),
          eq(channelDataSources.channelId, channelId),
          eq(channelDataSources.sourceName, sourceName),
        ),
      )
      .returning({ channelId: channelDataSources.channelId });
    return deleted.length > 0;
  }
}

export class PostgresTeamContextStore implements TeamContextStore {
  constructor(private readonly db: PgDb) {}

  async contextOf(teamId: string, channelId: string): Promise<TeamContext | undefined> {
    const [row] = await this.db
      .select()
      .from(channelContexts)
      .where(and(eq(channelContexts.teamId, teamId), eq(channelContexts.channelId, channelId)));
    return row ? { text: row.text, setBy: row.setBy, setAt: row.setAt } : undefined;
  }

  async setContext(teamId: string, channelId: string, text: string, setBy: string): Promise<void> {
    const values = { text, setBy, setAt: Date.now() };
    await this.db
      .insert(channelContexts)
      .values({ teamId, channelId, ...values })
      .onConflictDoUpdate({ target: [channelContexts.teamId, channelContexts.channelId], set: values });
  }

  async clearContext(teamId: string, channelId: string): Promise<boolean> {
    const deleted = await this.db
      .delete(channelContexts)
      .where(and(eq(channelContexts.teamId, teamId), eq(channelContexts.channelId, channelId)))
      .returning({ channelId: channelContexts.channelId });
    return deleted.length > 0;
  }
}

export class PostgresAssistantThreadStore implements AssistantThreadStore {
  constructor(private readonly db: PgDb) {}

  async rememberThread(thread: AssistantThread): Promise<void> {
    await this.db
      .insert(assistantThreads)
      .values({ ...thread, contextChannelId: thread.contextChannelId ?? null })
      .onConflictDoNothing();
  }

  async isAssistantThread(teamId: string, channelId: string, threadTs: string): Promise<boolean> {
    const rows = await this.db
      .select({ teamId: assistantThreads.teamId })
      .from(assistantThreads)
      .where(
        and(
          eq(assistantThreads.teamId, teamId),
          eq(assistantThreads.channelId, channelId),
          eq(assistantThreads.threadTs, threadTs),
        ),
      )
      .limit(1);
    return rows.length > 0;
  }
}
