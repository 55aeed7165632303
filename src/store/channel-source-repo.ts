import { and, eq } from 'drizzle-orm';
import type { ChannelSource, ChannelSourceStore } from '../core/data-sources/channel-sources.js';
import type { Db } from './db.js';
import { channelDataSources } from './schema.js';

/** SQLite-backed ChannelSourceStore: one source per channel. Every statement filters by team_id. */
export class SqliteChannelSourceStore implements ChannelSourceStore {
  constructor(private readonly db: Db) {}

  async sourceOf(teamId: string, channelId: string): Promise<ChannelSource | undefined> {
    const row = this.db
      .select()
      .from(channelDataSources)
      .where(and(eq(channelDataSources.teamId, teamId), eq(channelDataSources.channelId, channelId)))
      .get();
    return row ? { sourceName: row.sourceName, setBy: row.setBy, setAt: row.setAt } : undefined;
  }

  async useSource(teamId: string, channelId: string, sourceName: string, setBy: string): Promise<void> {
    const values = { sourceName, setBy, setAt: Date.now() };
    this.db
      .insert(channelDataSources)
      .values({ teamId, channelId, ...values })
      .onConflictDoUpdate({ target: [channelDataSources.teamId, channelDataSources.channelId], set: values })
      .run();
  }

  async removeSource(teamId: string, channelId: string, sourceName: string): Promise<boolean> {
    const result = this.db
      .delete(channelDataSources)
      .where(
        and(
          eq(channelDataSources.teamId, teamId),
          eq(channelDataSources.channelId, channelId),
          eq(channelDataSources.sourceName, sourceName),
        ),
      )
      .run();
    return result.changes > 0;
  }
}
