import { and, asc, count, desc, eq, gte, inArray, isNotNull, lt, sql, sum } from 'drizzle-orm';
import type {
  CheckDigest,
  DigestFacts,
  DigestTask,
  Listed,
  StandingItems,
} from '../../core/digest/digest-facts.js';
import type { CollaborationRequest, TaskStatus } from '../../core/domain.js';
import type { FeedbackCounts } from '../../core/feedback/feedback.js';
import type { PgDb } from './db.js';
import { answerFeedback, collaborationRequests, tasks, turns } from './schema.js';

/** What the digest needs of the collaboration store (PostgresCollaborationStore). */
export interface OpenRequestsReader {
  openInChannel(
    teamId: string,
    channelId: string,
    limit: number,
  ): Promise<{ requests: CollaborationRequest[]; total: number }>;
}

/**
 * What a digest reports, read from PostgreSQL (see ../digest-facts-repo.ts): the same queries, counts
 * cast to int (node-postgres returns int8 as text) and times converted with Number.
 */
export class PostgresDigestFacts {
  constructor(
    private readonly db: PgDb,
    private readonly collaboration: OpenRequestsReader,
  ) {}

  async digestFacts(
    teamId: string,
    channelId: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<DigestFacts> {
    const inChannel = and(eq(tasks.teamId, teamId), eq(tasks.channelId, channelId));
    const created = and(inChannel, gte(tasks.createdAt, from), lt(tasks.createdAt, to));
    const completed = (status: TaskStatus) =>
      and(inChannel, eq(tasks.status, status), gte(tasks.completedAt, from), lt(tasks.completedAt, to));
    const waiting = and(inChannel, eq(tasks.status, 'waiting_for_answers'));
    const [open, asked, answered, failed, waitingList, standing, usageByModel, feedback, checks] =
      await Promise.all([
        this.collaboration.openInChannel(teamId, channelId, limit),
        this.listTasks(created, tasks.createdAt, limit, 'desc'),
        this.listTasks(completed('done'), tasks.completedAt, limit, 'desc'),
        this.listTasks(completed('failed'), tasks.completedAt, limit, 'desc'),
        this.listTasks(waiting, tasks.updatedAt, limit, 'asc'),
        this.standing(teamId, channelId),
        this.usageByModel(teamId, channelId, from, to),
        this.feedback(teamId, channelId, from, to),
        this.checks(teamId, channelId, from, to),
      ]);
    return {
      channelId,
      from,
      to,
      asked,
      answered,
      failed,
      waiting: waitingList,
      openRequests: { total: open.total, items: open.requests },
      standing,
      usageByModel,
      feedback,
      ...checks,
    };
  }

  /** The channel's checks: runs whose slot is in the period, the checks failing now, the newest run. */
  private async checks(
    teamId: string,
    channelId: string,
    from: number,
    to: number,
  ): Promise<{ checks?: CheckDigest }> {
    const counted = await this.db.execute<{ total: number }>(
      sql`select count(*)::int as total from quality_checks where team_id = ${teamId} and channel_id = ${channelId}`,
    );
    const total = Number(counted.rows[0]?.total ?? 0);
    if (total === 0) return {};
    const runs = await this.db.execute<{
      runs: number;
      passed: number;
      errors: number;
      lastRunAt: string | null;
    }>(sql`
      select count(*) filter (where r.result in ('passed', 'failed'))::int as runs,
        count(*) filter (where r.result = 'passed' or r.false_positive)::int as passed,
        count(*) filter (where r.result = 'error')::int as errors, max(r.finished_at) as "lastRunAt"
      from check_runs r join quality_checks c on c.id = r.check_id
      where c.team_id = ${teamId} and c.channel_id = ${channelId} and r.team_id = ${teamId}
        and r.slot_at >= ${from} and r.slot_at < ${to}`);
    // A check's latest verdict (errors say nothing about the data) decides whether it is failing now.
    // Names in byte order (collate "C"), as SQLite sorts them.
    const failing = await this.db.execute<{ name: string; slotAt: string; observed: string }>(sql`
      select c.name, r.slot_at as "slotAt", r.observed from quality_checks c
      join check_runs r on r.check_id = c.id and r.slot_at = (
        select max(slot_at) from check_runs where check_id = c.id and result in ('passed', 'failed'))
      where c.team_id = ${teamId} and c.channel_id = ${channelId} and r.result = 'failed' and not r.false_positive
      order by c.name collate "C"`);
    const period = runs.rows[0];
    const lastRunAt = period?.lastRunAt ? Number(period.lastRunAt) : undefined;
    return {
      checks: {
        total,
        runs: Number(period?.runs ?? 0),
        passed: Number(period?.passed ?? 0),
        errors: Number(period?.errors ?? 0),
        failing: failing.rows.map((row) => ({
          name: row.name,
          slotAt: Number(row.slotAt),
          observed: row.observed,
        })),
        ...(lastRunAt ? { lastRunAt } : {}),
      },
    };
  }

  /** Votes on the channel's answers cast or changed in the period, by the (team, channel, updated) index. */
  private async feedback(
    teamId: string,
    channelId: string,
    from: number,
    to: number,
  ): Promise<FeedbackCounts> {
    const [row] = await this.db
      .select({
        up: sql<number>`(count(*) filter (where ${answerFeedback.vote} = 'up'))::int`,
        down: sql<number>`(count(*) filter (where ${answerFeedback.vote} = 'down'))::int`,
      })
      .from(answerFeedback)
      .where(
        and(
          eq(answerFeedback.teamId, teamId),
          eq(answerFeedback.channelId, channelId),
          gte(answerFeedback.updatedAt, from),
          lt(answerFeedback.updatedAt, to),
        ),
      );
    return { up: Number(row?.up ?? 0), down: Number(row?.down ?? 0) };
  }

  /** Ids only, through the (team_id, channel_id, status, …) indexes: cheap even for thousands. */
  private async standing(teamId: string, channelId: string): Promise<StandingItems> {
    const waiting = await this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(
        and(
          eq(tasks.teamId, teamId),
          eq(tasks.channelId, channelId),
          eq(tasks.status, 'waiting_for_answers'),
        ),
      )
      // A stable order (the fingerprint sorts anyway): SQLite reads them in index order.
      .orderBy(asc(tasks.id));
    const openRequests = await this.db
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
      .orderBy(asc(collaborationRequests.id));
    return { waitingTaskIds: waiting.map((row) => row.id), openRequests };
  }

  private async listTasks(
    where: ReturnType<typeof and>,
    at: typeof tasks.createdAt | typeof tasks.completedAt | typeof tasks.updatedAt,
    limit: number,
    order: 'asc' | 'desc',
  ): Promise<Listed<DigestTask>> {
    const rows = await this.db
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
      .limit(limit);
    const [counted] = await this.db.select({ n: count() }).from(tasks).where(where);
    return { total: counted?.n ?? 0, items: rows.map((row) => ({ ...row, at: Number(row.at) })) };
  }

  /** Tokens spent in the period on this channel's tasks, per model (turns carry the usage). */
  private async usageByModel(teamId: string, channelId: string, from: number, to: number) {
    const rows = await this.db
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
      // SQLite's group by returns the models sorted; PostgreSQL's hash aggregate would not.
      .orderBy(sql`${tasks.model} collate "C"`);
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
}
