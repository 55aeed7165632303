import type Database from 'better-sqlite3';
import type { AssistantThread, AssistantThreadStore } from '../core/assistant/assistant-threads.js';

/** Side-panel threads (assistant_threads), every statement scoped by team. */
export class SqliteAssistantThreadStore implements AssistantThreadStore {
  private readonly insert;
  private readonly exists;

  constructor(sqlite: Database.Database) {
    this.insert = sqlite.prepare(`
      insert into assistant_threads (team_id, channel_id, thread_ts, user_id, context_channel_id)
      values (@teamId, @channelId, @threadTs, @userId, @contextChannelId)
      on conflict (team_id, channel_id, thread_ts) do nothing`);
    this.exists = sqlite.prepare(`
      select 1 from assistant_threads where team_id = ? and channel_id = ? and thread_ts = ?`);
  }

  async rememberThread(thread: AssistantThread): Promise<void> {
    this.insert.run({ ...thread, contextChannelId: thread.contextChannelId ?? null });
  }

  async isAssistantThread(teamId: string, channelId: string, threadTs: string): Promise<boolean> {
    return this.exists.get(teamId, channelId, threadTs) !== undefined;
  }
}
