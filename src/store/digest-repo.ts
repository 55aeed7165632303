import { and, asc, count, desc, eq, gte, inArray, isNotNull, lt, sql, sum } from 'drizzle-orm';
import type { CollaborationStore } from '../core/collaboration/collaboration-store.js';
import type {
  DigestFacts,
  DigestSetting,
  DigestStore,
  DigestTask,
  Listed,
  StandingItems,
} from '../core/digest/digest-facts.js';
import type { TaskStatus } from '../core/domain.js';
import type { Db } from './db.js';
import { collaborationRequests, digestRuns, digestSettings, tasks, turns } from './schema.js';

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
  constructor(
    private readonly db: Db,
    private readonly collaboration: CollaborationStore,
  ) {}

  digestFacts(teamId: string, channelId: string, from: number, to: number, limit: number): DigestFacts {
    const inChannel = and(eq(tasks.teamId, teamId), eq(tasks.channelId, channelId));
    const created = and(inChannel, gte(tasks.createdAt, from), lt(tasks.createdAt, to));
    const completed = (status: TaskStatus) =>
      and(inChannel, eq(tasks.status, status), gte(tasks.completedAt, from), lt(tasks.completedAt, to));
    const waiting = and(inChannel, eq(tasks.status, 'waiting_for_answers'));
    const open = this.collaboration.openInChannel(teamId, channelId, limit);
    return {
      channelId,
      from,
      to,
      asked: this.listTasks(created, tasks.createdAt, limit, 'desc'),
      answered: this.listTasks(completed('done'), tasks.completedAt, limit, 'desc'),
      failed: this.listTasks(completed('failed'), tasks.completedAt, limit, 'desc'),
      waiting: this.listTasks(waiting, tasks.updatedAt, limit, 'asc'),
      openRequests: { total: open.total, items: open.requests },
      standing: this.standing(teamId, channelId),
      usageByModel: this.usageByModel(teamId, channelId, from, to),
    };
  }

  /** Ids only, through the (team_id, channel_id, status, …) indexes: cheap even for thousands. */
  private standing(teamId: string, channelId: string): StandingItems {
    const waitingTaskIds = this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(
        and(
          eq(tasks.teamId, teamId),
          eq(tasks.channelId, channelId),
          eq(tasks.status, 'waiting_for_answers'),
        ),
      )
      .all()
      .map((row) => row.id);
    const openRequests = this.db
      .select({
        id: collaborationRequests.id,
        status: collaborationRequests.status,
        ownerKind: collaborationRequests.ownerKind,
        ownerId: collaborationRequests.ownerId,
      })
      .from(collaborationRequests)
      .where(
        and(
          eq(collaborationRequests.teamId, teamId),
          eq(collaborationRequests.channelId, channelId),
          inArray(collaborationRequests.status, ['open', 'acknowledged']),
        ),
      )
      .all();
    return { waitingTaskIds, openRequests };
  }

  private listTasks(
    where: ReturnType<typeof and>,
    at: typeof tasks.createdAt | typeof tasks.completedAt | typeof tasks.updatedAt,
    limit: number,
    order: 'asc' | 'desc',
  ): Listed<DigestTask> {
    const rows = this.db
      .select({
        id: tasks.id,
        title: tasks.title,
        status: tasks.status,
        channelId: tasks.channelId,
        threadTs: tasks.threadTs,
        requesterId: tasks.requesterId,
        at: sql<number>`${at}`,
      })
      .from(tasks)
      .where(where)
      .orderBy(order === 'asc' ? asc(at) : desc(at))
      .limit(limit)
      .all();
    const total = this.db.select({ n: count() }).from(tasks).where(where).get()?.n ?? 0;
    return { total, items: rows.map((row) => ({ ...row, at: Number(row.at) })) };
  }

  /** Tokens spent in the period on this channel's tasks, per model (turns carry the usage). */
  private usageByModel(teamId: string, channelId: string, from: number, to: number) {
    const rows = this.db
      .select({
        model: tasks.model,
        inputTokens: sum(turns.inputTokens),
        outputTokens: sum(turns.outputTokens),
        cacheReadTokens: sum(turns.cacheReadTokens),
        cacheWriteTokens: sum(turns.cacheWriteTokens),
      })
      .from(turns)
      .innerJoin(tasks, and(eq(tasks.id, turns.taskId), eq(tasks.teamId, turns.teamId)))
      .where(
        and(
          eq(turns.teamId, teamId),
          gte(turns.createdAt, from),
          lt(turns.createdAt, to),
          eq(tasks.channelId, channelId),
          eq(turns.role, 'assistant'),
          isNotNull(tasks.model),
        ),
      )
      .groupBy(tasks.model)
      .all();
    return rows
      .map((row) => ({
        model: row.model ?? 'unknown',
        usage: {
          inputTokens: Number(row.inputTokens ?? 0),
          outputTokens: Number(row.outputTokens ?? 0),
          cacheReadTokens: Number(row.cacheReadTokens ?? 0),
          cacheWriteTokens: Number(row.cacheWriteTokens ?? 0),
        },
      }))
      .filter((row) => row.usage.inputTokens + row.usage.outputTokens + row.usage.cacheReadTokens > 0);
  }

  digestChannels(teamId: string, since: number): string[] {
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
    add(this.digestSettings(teamId));
    return [...channels].sort();
  }

  digestSetting(teamId: string, channelId: string): DigestSetting | undefined {
    return this.db
      .select(SETTING_COLUMNS)
      .from(digestSettings)
      .where(and(eq(digestSettings.teamId, teamId), eq(digestSettings.channelId, channelId)))
      .get();
  }

  digestSettings(teamId: string): DigestSetting[] {
    return this.db
      .select(SETTING_COLUMNS)
      .from(digestSettings)
      .where(eq(digestSettings.teamId, teamId))
      .all();
  }

  saveDigestSetting(
    teamId: string,
    channelId: string,
    change: Partial<Omit<DigestSetting, 'channelId'>>,
    updatedBy: string,
  ): void {
    const values = { ...change, updatedBy, updatedAt: Date.now() };
    this.db
      .insert(digestSettings)
      .values({ teamId, channelId, ...values })
      .onConflictDoUpdate({ target: [digestSettings.teamId, digestSettings.channelId], set: values })
      .run();
  }

  claimDigestRun(teamId: string, channelId: string, localDate: string): boolean {
    const row = this.db
      .insert(digestRuns)
      .values({ teamId, channelId, localDate, status: 'posting' })
      .onConflictDoNothing()
      .returning({ id: digestRuns.id })
      .get();
    return row !== undefined;
  }

  reclaimStaleDigestRun(teamId: string, channelId: string, localDate: string, staleBefore: number): boolean {
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

  finishDigestRun(
    teamId: string,
    channelId: string,
    localDate: string,
    outcome: { status: 'posted' | 'empty' | 'unchanged'; parentTs?: string; fingerprint?: string },
  ): void {
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

  lastPostedDigest(
    teamId: string,
    channelId: string,
  ): { localDate: string; fingerprint: string | null } | undefined {
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

  releaseDigestRun(teamId: string, channelId: string, localDate: string): void {
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
