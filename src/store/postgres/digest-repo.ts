import { and, desc, eq, gte, inArray, lt } from 'drizzle-orm';
import type { DigestFacts, DigestSetting, DigestStore } from '../../core/digest/digest-facts.js';
import type { PgDb } from './db.js';
import { PostgresDigestFacts } from './digest-facts-repo.js';
import { collaborationRequests, digestRuns, digestSettings, qualityChecks, tasks } from './schema.js';

/** A channel's schedule as DigestSetting reads it. */
const SETTING_COLUMNS = {
  channelId: digestSettings.channelId,
  enabled: digestSettings.enabled,
  time: digestSettings.time,
  timeZone: digestSettings.timeZone,
};

/**
 * Digest settings and runs on PostgreSQL (see ../digest-repo.ts). A day's digest is claimed by the
 * unique (team, channel, local_date) key: `insert … on conflict do nothing returning` is the claim, so
 * of several instances looking at once exactly one posts; a stale claim is taken over by one
 * conditional update.
 */
export class PostgresDigestStore implements DigestStore {
  private readonly facts: PostgresDigestFacts;

  constructor(
    private readonly db: PgDb,
    collaboration: ConstructorParameters<typeof PostgresDigestFacts>[1],
  ) {
    this.facts = new PostgresDigestFacts(db, collaboration);
  }

  digestFacts(
    teamId: string,
    channelId: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<DigestFacts> {
    return this.facts.digestFacts(teamId, channelId, from, to, limit);
  }

  async digestChannels(teamId: string, since: number): Promise<string[]> {
    const lists = await Promise.all([
      this.db
        .selectDistinct({ channelId: tasks.channelId })
        .from(tasks)
        .where(and(eq(tasks.teamId, teamId), gte(tasks.updatedAt, since))),
      this.db
        .selectDistinct({ channelId: tasks.channelId })
        .from(tasks)
        .where(and(eq(tasks.teamId, teamId), eq(tasks.status, 'waiting_for_answers'))),
      this.db
        .selectDistinct({ channelId: collaborationRequests.channelId })
        .from(collaborationRequests)
        .where(
          and(
            eq(collaborationRequests.teamId, teamId),
            inArray(collaborationRequests.status, ['open', 'acknowledged']),
          ),
        ),
      // Channels whose adopted checks run: their pass rates and failures are news every day.
      this.db
        .selectDistinct({ channelId: qualityChecks.channelId })
        .from(qualityChecks)
        .where(eq(qualityChecks.teamId, teamId)),
      this.digestSettings(teamId),
    ]);
    const channels = new Set(lists.flat().map((row) => row.channelId));
    // JavaScript's sort (UTF-16 code units), as on SQLite: not the database's collation.
    return [...channels].sort();
  }

  async digestSetting(teamId: string, channelId: string): Promise<DigestSetting | undefined> {
    const [row] = await this.db
      .select(SETTING_COLUMNS)
      .from(digestSettings)
      .where(and(eq(digestSettings.teamId, teamId), eq(digestSettings.channelId, channelId)));
    return row;
  }

  digestSettings(teamId: string): Promise<DigestSetting[]> {
    return this.db.select(SETTING_COLUMNS).from(digestSettings).where(eq(digestSettings.teamId, teamId));
  }

  async saveDigestSetting(
    teamId: string,
    channelId: string,
    change: Partial<Omit<DigestSetting, 'channelId'>>,
    updatedBy: string,
  ): Promise<void> {
    const values = { ...change, updatedBy, updatedAt: Date.now() };
    await this.db
      .insert(digestSettings)
      .values({ teamId, channelId, ...values })
      .onConflictDoUpdate({ target: [digestSettings.teamId, digestSettings.channelId], set: values });
  }

  async claimDigestRun(teamId: string, channelId: string, localDate: string): Promise<boolean> {
    const rows = await this.db
      .insert(digestRuns)
      .values({ teamId, channelId, localDate, status: 'posting' })
      .onConflictDoNothing()
      .returning({ id: digestRuns.id });
    return rows.length > 0;
  }

  async reclaimStaleDigestRun(
    teamId: string,
    channelId: string,
    localDate: string,
    staleBefore: number,
  ): Promise<boolean> {
    // The second of two instances waits on the row lock, then re-checks created_at: it is fresh now.
    const rows = await this.db
      .update(digestRuns)
      .set({ createdAt: Date.now() })
      .where(
        and(
          this.run(teamId, channelId, localDate),
          eq(digestRuns.status, 'posting'),
          lt(digestRuns.createdAt, staleBefore),
        ),
      )
      .returning({ id: digestRuns.id });
    return rows.length > 0;
  }

  async finishDigestRun(
    teamId: string,
    channelId: string,
    localDate: string,
    outcome: { status: 'posted' | 'empty' | 'unchanged'; parentTs?: string; fingerprint?: string },
  ): Promise<void> {
    await this.db
      .update(digestRuns)
      .set({
        status: outcome.status,
        parentTs: outcome.parentTs ?? null,
        ...(outcome.fingerprint !== undefined ? { fingerprint: outcome.fingerprint } : {}),
      })
      .where(this.run(teamId, channelId, localDate));
  }

  async lastPostedDigest(
    teamId: string,
    channelId: string,
  ): Promise<{ localDate: string; fingerprint: string | null } | undefined> {
    const [row] = await this.db
      .select({ localDate: digestRuns.localDate, fingerprint: digestRuns.fingerprint })
      .from(digestRuns)
      .where(
        and(
          eq(digestRuns.teamId, teamId),
          eq(digestRuns.channelId, channelId),
          eq(digestRuns.status, 'posted'),
        ),
      )
      // ISO dates: byte order is date order whatever the database's collation.
      .orderBy(desc(digestRuns.localDate))
      .limit(1);
    return row;
  }

  async releaseDigestRun(teamId: string, channelId: string, localDate: string): Promise<void> {
    await this.db.delete(digestRuns).where(this.run(teamId, channelId, localDate));
  }

  private run(teamId: string, channelId: string, localDate: string) {
    return and(
      eq(digestRuns.teamId, teamId),
      eq(digestRuns.channelId, channelId),
      eq(digestRuns.localDate, localDate),
    );
  }
}
