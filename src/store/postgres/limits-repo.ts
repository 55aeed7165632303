import { sql } from 'drizzle-orm';
import type { Usage } from '../../core/domain.js';
import type { LimitFacts, LimitStore } from '../../core/limits/limits.js';
import type { PgDb } from './db.js';

/**
 * USER_TASKS_PER_HOUR and DAILY_TOKEN_BUDGET facts on PostgreSQL: one statement of indexed lookups, as
 * on SQLite (see ../limits-repo.ts for what each part means).
 */
export class PostgresLimitStore implements LimitStore {
  constructor(private readonly db: PgDb) {}

  async limitFacts(
    teamId: string,
    userId: string,
    query: { since: number; offset: number; day: string; channelId: string | null; slackTs: string | null },
  ): Promise<LimitFacts> {
    const result = await this.db.execute<{
      limit_hit_at: number | null;
      tokens_today: number | null;
      already_stored: boolean;
    }>(sql`
      select
        (select at from admissions
          where team_id = ${teamId} and user_id = ${userId} and at > ${query.since}
          order by at desc limit 1 offset ${query.offset})::float8 as limit_hit_at,
        (select tokens from daily_usage where team_id = ${teamId} and day = ${query.day})::float8 as tokens_today,
        exists (select 1 from events_seen
          where team_id = ${teamId} and channel_id = ${query.channelId}
            and message_ts = ${query.slackTs}) as already_stored`);
    const row = result.rows[0];
    return {
      limitHitAt: row?.limit_hit_at ?? undefined,
      tokensToday: row?.tokens_today ?? 0,
      alreadyStored: row?.already_stored === true,
    };
  }

  /** Adds a model call's tokens (input, cache reads and writes, output) to the workspace's day. */
  async addUsage(teamId: string, day: string, usage: Usage): Promise<void> {
    const tokens = usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
    if (tokens <= 0) return;
    await this.db.execute(sql`
      insert into daily_usage (team_id, day, tokens) values (${teamId}, ${day}, ${tokens})
      on conflict (team_id, day) do update set tokens = daily_usage.tokens + excluded.tokens`);
  }
}
