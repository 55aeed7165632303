import { and, eq } from 'drizzle-orm';
import type { TeamContext, TeamContextStore } from '../core/data-sources/team-context.js';
import type { Db } from './db.js';
import { channelContexts } from './schema.js';

/** SQLite-backed TeamContextStore: one context per channel. Every statement filters by team_id. */
export class SqliteTeamContextStore implements TeamContextStore {
  constructor(private readonly db: Db) {}

  async contextOf(teamId: string, channelId: string): Promise<TeamContext | undefined> {
    const row = this.db
      .select()
      .from(channelContexts)
      .where(and(eq(channelContexts.teamId, teamId), eq(channelContexts.channelId, channelId)))
      .get();
    return row ? { text: row.text, setBy: row.setBy, setAt: row.setAt } : undefined;
  }

  async setContext(teamId: string, channelId: string, text: string, setBy: string): Promise<void> {
    const values = { text, setBy, setAt: Date.now() };
    this.db
      .insert(channelContexts)
      .values({ teamId, channelId, ...values })
      .onConflictDoUpdate({ target: [channelContexts.teamId, channelContexts.channelId], set: values })
      .run();
  }

  async clearContext(teamId: string, channelId: string): Promise<boolean> {
    const result = this.db
      .delete(channelContexts)
      .where(and(eq(channelContexts.teamId, teamId), eq(channelContexts.channelId, channelId)))
      .run();
    return result.changes > 0;
  }
}
