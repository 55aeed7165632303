/**
 * Why this file exists: a channel's standing facts ("Snowflake + dbt + Airflow; daily freshness; PII
 * stays in the `secure` schema"), set by admins once instead of restated in every task. The agent
 * gets them with every task in that channel, after the cached system prompt (src/agent/claude-agent.ts).
 */

/** The longest context a channel may store (it is sent with every task there). */
export const MAX_TEAM_CONTEXT_CHARS = 1_500;

export interface TeamContext {
  text: string;
  setBy: string;
  setAt: number;
}

/** SQL in src/store/team-context-repo.ts; every query scoped by team_id. */
export interface TeamContextStore {
  contextOf(teamId: string, channelId: string): Promise<TeamContext | undefined>;
  setContext(teamId: string, channelId: string, text: string, setBy: string): Promise<void>;
  clearContext(teamId: string, channelId: string): Promise<boolean>;
}
