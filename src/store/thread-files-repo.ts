import type Database from 'better-sqlite3';
import {
  MAX_FILES_PER_THREAD,
  type ThreadFileRow,
  type ThreadFileStatus,
  type ThreadFileStore,
  type ThreadRef,
} from '../core/files/thread-files.js';

/** Files shared in task threads (thread_files), every statement scoped by team. */
export class SqliteThreadFileStore implements ThreadFileStore {
  private readonly statements;

  constructor(private readonly sqlite: Database.Database) {
    this.statements = {
      insert: sqlite.prepare(`
        insert into thread_files (team_id, channel_id, thread_ts, file_id, message_ts, name)
        values (@teamId, @channelId, @threadTs, @fileId, @messageTs, @name)
        on conflict (team_id, channel_id, thread_ts, file_id) do nothing`),
      count: sqlite.prepare(
        'select count(*) as n from thread_files where team_id = ? and channel_id = ? and thread_ts = ?',
      ),
      list: sqlite.prepare(`
        select id, file_id as fileId, message_ts as messageTs, name, table_name as tableName, status, detail,
               reply_state as replyState
        from thread_files where team_id = ? and channel_id = ? and thread_ts = ? order by id`),
      update: sqlite.prepare(`
        update thread_files set name = coalesce(@name, name), table_name = coalesce(@tableName, table_name),
               status = coalesce(@status, status), detail = coalesce(@detail, detail)
        where team_id = @teamId and id = @id`),
      reply: sqlite.prepare('update thread_files set reply_state = ? where team_id = ? and id = ?'),
    };
  }

  async record(
    thread: ThreadRef,
    files: readonly { fileId: string; messageTs: string; name?: string }[],
  ): Promise<void> {
    this.sqlite.transaction(() => {
      const counted = this.statements.count.get(thread.teamId, thread.channelId, thread.threadTs) as {
        n: number;
      };
      let room = MAX_FILES_PER_THREAD - counted.n;
      for (const file of files) {
        if (room <= 0) break;
        room -= this.statements.insert.run({ ...thread, ...file, name: file.name ?? null }).changes;
      }
    })();
  }

  async list(thread: ThreadRef): Promise<ThreadFileRow[]> {
    return this.statements.list.all(thread.teamId, thread.channelId, thread.threadTs) as ThreadFileRow[];
  }

  async update(
    teamId: string,
    id: number,
    fields: { name?: string; tableName?: string; status?: ThreadFileStatus; detail?: string },
  ): Promise<void> {
    this.statements.update.run({
      teamId,
      id,
      name: fields.name ?? null,
      tableName: fields.tableName ?? null,
      status: fields.status ?? null,
      detail: fields.detail ?? null,
    });
  }

  async setReplyState(teamId: string, id: number, state: 'claimed' | 'done'): Promise<void> {
    this.statements.reply.run(state, teamId, id);
  }
}
