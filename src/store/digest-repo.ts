import { and, desc, eq, gte, inArray, lt } from 'drizzle-orm';
import type { CollaborationStore } from '../core/collaboration/collaboration-store.js';
import type { DigestFacts, DigestSetting, DigestStore } from '../core/digest/digest-facts.js';
import type { Db } from './db.js';
import { SqliteDigestFacts } from './digest-facts-repo.js';
import { collaborationRequests, digestRuns, digestSettings, qualityChecks, tasks } from './schema.js';

/** A channel's schedule as DigestSetting reads it. */
const SETTING_COLUMNS = {
  channelId: digestSettings.channelId,
  enabled: digestSettings.enabled,
  time: digestSettings.time,
  timeZone: digestSettings.timeZone,
};

/**
 * SQLite-backed DigestStore. Every list is a count plus its first `limit` rows, each served by an
 * index on (team_id, channel_id, …), so a channel with thousands of tasks a day stays fast.
 */
export class SqliteDigestStore implements DigestStore {
  private readonly facts: SqliteDigestFacts;

  constructor(
    private readonly db: Db,
    collaboration: CollaborationStore,
  ) {
    this.facts = new SqliteDigestFacts(db, collaboration);
  }

  async digestFacts(
    teamId: string,
    channelId: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<DigestFacts> {
    return await this.facts.digestFacts(teamId, channelId, from, to, limit);
  }

  async digestChannels(teamId: string, since: number): Promise<string[]> {
    const channels = new Set<string>();
    const add = (rows: { channelId: string }[]) => {
      for (const row of rows) channels.add(row.channelId);
    };
    add(
      this.db
        .selectDistinct({ channelId: tasks.channelId })
        .from(tasks)
        .where(and(eq(tasks.teamId, teamId), gte(tasks.updatedAt, since)))
        .all(),
    );
    add(
      this.db
        .selectDistinct({ channelId: tasks.channelId })
        .from(tasks)
        .where(and(eq(tasks.teamId, teamId), eq(tasks.status, 'waiting_for_answers')))
        .all(),
    );
    add(
      this.db
        .selectDistinct({ channelId: collaborationRequests.channelId })
        .from(collaborationRequests)
        .where(
          and(
            eq(collaborationRequests.teamId, teamId),
            inArray(collaborationRequests.status, ['open', 'acknowledged']),
          ),
        )
        .all(),
    );
    // Channels whose adopted checks run: their pass rates and failures are news every day.
    add(
      this.db
        .selectDistinct({ channelId: qualityChecks.channelId })
        .from(qualityChecks)
        .where(eq(qualityChecks.teamId, teamId))
        .all(),
    );
    add(await this.digestSettings(teamId));
    return [...channels].sort();
  }

  async digestSetting(teamId: string, channelId: string): Promise<DigestSetting | undefined> {
    return this.db
      .select(SETTING_COLUMNS)
      .from(digestSettings)
      .where(and(eq(digestSettings.teamId, teamId), eq(digestSettings.channelId, channelId)))
      .get();
  }

  async digestSettings(teamId: string): Promise<DigestSetting[]> {
    return this.db
      .select(SETTING_COLUMNS)
      .from(digestSettings)
      .where(eq(digestSettings.teamId, teamId))
      .all();
  }

  async saveDigestSetting(
    teamId: string,
    channelId: string,
    change: Partial<Omit<DigestSetting, 'channelId'>>,
    updatedBy: string,
  ): Promise<void> {
    const values = { ...change, updatedBy, updatedAt: Date.now() };
    this.db
      .insert(digestSettings)
      .values({ teamId, channelId, ...values })
      .onConflictDoUpdate({ target: [digestSettings.teamId, digestSettings.channelId], set: values })
      .run();
  }

  async claimDigestRun(teamId: string, channelId: string, localDate: string): Promise<boolean> {
    const row = this.db
      .insert(digestRuns)
      .values({ teamId, channelId, localDate, status: 'posting' })
      .onConflictDoNothing()
      .returning({ id: digestRuns.id })
      .get();
    return row !== undefined;
  }

  async reclaimStaleDigestRun(
    teamId: string,
    channelId: string,
    localDate: string,
    staleBefore: number,
  ): Promise<boolean> {
    const changed = this.db
      .update(digestRuns)
      .set({ createdAt: Date.now() })
      .where(
        and(
          this.run(teamId, channelId, localDate),
          eq(digestRuns.status, 'posting'),
          lt(digestRuns.createdAt, staleBefore),
        ),
      )
      .run().changes;
    return changed > 0;
  }

  async finishDigestRun(
    teamId: string,
    channelId: string,
    localDate: string,
    outcome: { status: 'posted' | 'empty' | 'unchanged'; parentTs?: string; fingerprint?: string },
  ): Promise<void> {
    this.db
      .update(digestRuns)
      .set({
        status: outcome.status,
        parentTs: outcome.parentTs ?? null,
        ...(outcome.fingerprint !== undefined ? { fingerprint: outcome.fingerprint } : {}),
      })
      .where(this.run(teamId, channelId, localDate))
      .run();
  }

  async lastPostedDigest(
    teamId: string,
    channelId: string,
  ): Promise<{ localDate: string; fingerprint: string | null } | undefined> {
    return this.db
      .select({ localDate: digestRuns.localDate, fingerprint: digestRuns.fingerprint })
      .from(digestRuns)
      .where(
        and(
          eq(digestRuns.teamId, teamId),
          eq(digestRuns.channelId, channelId),
          eq(digestRuns.status, 'posted'),
        ),
      )
      .orderBy(desc(digestRuns.localDate))
      .limit(1)
      .get();
  }

  async releaseDigestRun(teamId: string, channelId: string, localDate: string): Promise<void> {
    this.db
      .delete(digestRuns)
      .where(this.run(teamId, channelId, localDate))
      .run();
  }

  private run(teamId: string, channelId: string, localDate: string) {
    return and(
      eq(digestRuns.teamId, teamId),
      eq(digestRuns.channelId, channelId),
      eq(digestRuns.localDate, localDate),
    );
  }
}
