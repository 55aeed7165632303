import type Database from 'better-sqlite3';
import type { Usage } from '../core/domain.js';
import type { LimitFacts, LimitStore } from '../core/limits/limits.js';

/**
 * The facts behind USER_TASKS_PER_HOUR and DAILY_TOKEN_BUDGET, read on the ack path with one prepared
 * statement of indexed lookups: the person's newest admissions (new tasks, follow-ups and retries, by
 * team, user and time, at most USER_TASKS_PER_HOUR index entries; not turns, which a message deleted in
 * Slack removes), today's tokens (daily_usage by its key) and whether this very
 * message was stored already (events_seen by channel and ts).
 */
export class SqliteLimitStore implements LimitStore {
  private readonly facts;
  private readonly addTokens;

  constructor(sqlite: Database.Database) {
    // Positional parameters (binding by name costs as much as this whole lookup on the ack path).
    this.facts = sqlite.prepare<
      [
        teamId: string,
        userId: string,
        since: number,
        offset: number,
        teamId: string,
        day: string,
        teamId: string,
        channelId: string | null,
        slackTs: string | null,
      ],
      { limit_hit_at: number | null; tokens_today: number | null; already_stored: number }
    >(`
      select
        (select at from admissions
          where team_id = ? and user_id = ? and at > ?
          order by at desc limit 1 offset ?) as limit_hit_at,
        (select tokens from daily_usage where team_id = ? and day = ?) as tokens_today,
        exists (select 1 from events_seen
          where team_id = ? and channel_id = ? and message_ts = ?) as already_stored`);
    this.addTokens = sqlite.prepare(`
      insert into daily_usage (team_id, day, tokens) values (@teamId, @day, @tokens)
      on conflict (team_id, day) do update set tokens = tokens + excluded.tokens`);
  }

  async limitFacts(
    teamId: string,
    userId: string,
    query: { since: number; offset: number; day: string; channelId: string | null; slackTs: string | null },
  ): Promise<LimitFacts> {
    const { since, offset, day, channelId, slackTs } = query;
    const row = this.facts.get(teamId, userId, since, offset, teamId, day, teamId, channelId, slackTs);
    if (!row) throw new Error('the limit query returned no row');
    return {
      limitHitAt: row.limit_hit_at ?? undefined,
      tokensToday: row.tokens_today ?? 0,
      alreadyStored: row.already_stored === 1,
    };
  }

  /** Adds a model call's tokens (input, cache reads and writes, output) to the workspace's day. */
  addUsage(teamId: string, day: string, usage: Usage): void {
    const tokens = usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
    if (tokens > 0) this.addTokens.run({ teamId, day, tokens });
  }
}
