import { and, asc, count, desc, eq, gte, inArray, isNotNull, lt, sql, sum } from 'drizzle-orm';
import type { CollaborationStore } from '../core/collaboration/collaboration-store.js';
import type {
  CheckDigest,
  DigestFacts,
  DigestTask,
  Listed,
  StandingItems,
} from '../core/digest/digest-facts.js';
import type { TaskStatus } from '../core/domain.js';
import type { FeedbackCounts } from '../core/feedback/feedback.js';
import type { Db } from './db.js';
import { answerFeedback, collaborationRequests, tasks, turns } from './schema.js';

/**
 * What a digest reports, read from SQLite. Every list is a count plus its first `limit` rows, each
 * served by an index on (team_id, channel_id, …), so a channel with thousands of tasks a day stays fast.
 */
export class SqliteDigestFacts {
  constructor(
    private readonly db: Db,
    private readonly collaboration: CollaborationStore,
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
    const open = await this.collaboration.openInChannel(teamId, channelId, limit);
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
      feedback: this.feedback(teamId, channelId, from, to),
      ...this.checks(teamId, channelId, from, to),
    };
  }

  /** The channel's checks: runs whose slot is in the period, the checks failing now, the newest run. */
  private checks(teamId: string, channelId: string, from: number, to: number): { checks?: CheckDigest } {
    const counted = this.db.get<{ total: number }>(
      sql`select count(*) as total from quality_checks where team_id = ${teamId} and channel_id = ${channelId}`,
    );
    const total = Number(counted?.total ?? 0);
    if (total === 0) return {};
    const runs = this.db.get<{ runs: number; passed: number; errors: number; lastRunAt: number | null }>(sql`
      select coalesce(sum(r.result in ('passed', 'failed')), 0) as runs, coalesce(sum(r.result = 'passed' or r.false_positive), 0) as passed,
        coalesce(sum(r.result = 'error'), 0) as errors, max(r.finished_at) as lastRunAt
      from check_runs r join quality_checks c on c.id = r.check_id
      where c.team_id = ${teamId} and c.channel_id = ${channelId} and r.team_id = ${teamId}
        and r.slot_at >= ${from} and r.slot_at < ${to}`);
    // A check's latest verdict (errors say nothing about the data) decides whether it is failing now.
    const failing = this.db.all<{ name: string; slotAt: number; observed: string }>(sql`
      select c.name, r.slot_at as slotAt, r.observed from quality_checks c
      join check_runs r on r.check_id = c.id and r.slot_at = (
        select max(slot_at) from check_runs where check_id = c.id and result in ('passed', 'failed'))
      where c.team_id = ${teamId} and c.channel_id = ${channelId} and r.result = 'failed' and not r.false_positive
      order by c.name`);
    return {
      checks: {
        total,
        runs: Number(runs?.runs ?? 0),
        passed: Number(runs?.passed ?? 0),
        errors: Number(runs?.errors ?? 0),
        failing,
        ...(runs?.lastRunAt ? { lastRunAt: runs.lastRunAt } : {}),
      },
    };
  }

  /** Votes on the channel's answers cast or changed in the period, by the (team, channel, updated) index. */
  private feedback(teamId: string, channelId: string, from: number, to: number): FeedbackCounts {
    const [row] = this.db
      .select({
        up: sql<number>`coalesce(sum(${answerFeedback.vote} = 'up'), 0)`,
        down: sql<number>`coalesce(sum(${answerFeedback.vote} = 'down'), 0)`,
      })
      .from(answerFeedback)
      .where(
        and(
          eq(answerFeedback.teamId, teamId),
          eq(answerFeedback.channelId, channelId),
          gte(answerFeedback.updatedAt, from),
          lt(answerFeedback.updatedAt, to),
        ),
      )
      .all();
    return { up: Number(row?.up ?? 0), down: Number(row?.down ?? 0) };
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
}
