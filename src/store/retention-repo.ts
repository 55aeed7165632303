import type Database from 'better-sqlite3';
import type { RetentionStore, StoredMessage } from '../core/retention/retention-store.js';

/** SQLite-backed RetentionStore. Every statement filters by team_id. */
export class SqliteRetentionStore implements RetentionStore {
  private readonly statements;

  constructor(private readonly sqlite: Database.Database) {
    this.statements = {
      teams: sqlite.prepare(
        'SELECT team_id FROM tasks UNION SELECT team_id FROM events_seen UNION SELECT team_id FROM admissions' +
          ' UNION SELECT team_id FROM assistant_threads UNION SELECT team_id FROM data_tool_calls',
      ),
      // Idle: not updated, no turn added, nothing queued or running since the cutoff, and no one still
      // working on its collaboration requests. A request not yet done keeps its task however old: it
      // is live work on its owner's Home tab and in the channel digest, and deleting it would drop it
      // silently; once marked done, the task is pruned RETENTION_DAYS after that.
      idleTasks: sqlite.prepare(`
        SELECT id FROM tasks
        WHERE team_id = @teamId AND updated_at < @cutoff
          AND NOT EXISTS (SELECT 1 FROM turns
                          WHERE turns.team_id = tasks.team_id AND turns.task_id = tasks.id
                            AND turns.created_at >= @cutoff)
          AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.team_id = tasks.team_id AND jobs.task_id = tasks.id)
          AND NOT EXISTS (SELECT 1 FROM collaboration_requests r
                          WHERE r.team_id = tasks.team_id AND r.task_id = tasks.id
                            AND (r.status <> 'done' OR coalesce(r.done_at, 0) >= @cutoff))`),
      countTurns: sqlite.prepare('SELECT count(*) AS n FROM turns WHERE team_id = ? AND task_id = ?'),
      // Turns, collaboration requests and jobs follow by ON DELETE CASCADE.
      deleteTask: sqlite.prepare('DELETE FROM tasks WHERE team_id = ? AND id = ?'),
      deleteEvents: sqlite.prepare('DELETE FROM events_seen WHERE team_id = ? AND created_at < ?'),
      deleteAdmissions: sqlite.prepare('DELETE FROM admissions WHERE team_id = ? AND at < ?'),
      // Files shared in a thread whose task was pruned (a file share is a turn, so they are old too).
      deleteThreadFiles: sqlite.prepare(`
        DELETE FROM thread_files WHERE team_id = ? AND created_at < ?
          AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.team_id = thread_files.team_id
                            AND tasks.channel_id = thread_files.channel_id
                            AND tasks.thread_ts = thread_files.thread_ts)`),
      deleteAssistantThreads: sqlite.prepare(
        'DELETE FROM assistant_threads WHERE team_id = ? AND created_at < ?',
      ),
      // Check runs: kept at least 31 days whatever RETENTION_DAYS says, for the 30-day pass rate.
      deleteCheckRuns: sqlite.prepare(`DELETE FROM check_runs WHERE team_id = ?
        AND slot_at < min(?, cast(unixepoch('subsec') * 1000 as integer) - 31 * 86400000)`),
      deleteDataToolCalls: sqlite.prepare('DELETE FROM data_tool_calls WHERE team_id = ? AND created_at < ?'),
      findMessage: sqlite.prepare(`
        SELECT turns.id AS turnId, turns.task_id AS taskId, turns.content AS content,
               turns.id = (SELECT min(first.id) FROM turns AS first
                           WHERE first.team_id = turns.team_id AND first.task_id = turns.task_id) AS first
        FROM turns JOIN tasks ON tasks.id = turns.task_id AND tasks.team_id = turns.team_id
        WHERE turns.team_id = ? AND tasks.channel_id = ? AND turns.slack_ts = ? AND turns.role = 'user'`),
      deleteTurn: sqlite.prepare('DELETE FROM turns WHERE team_id = ? AND id = ?'),
      setTurnContent: sqlite.prepare('UPDATE turns SET content = ? WHERE team_id = ? AND id = ?'),
      setTaskText: sqlite.prepare('UPDATE tasks SET text = ?, title = ? WHERE team_id = ? AND id = ?'),
    };
  }

  async teams(): Promise<string[]> {
    return (this.statements.teams.all() as { team_id: string }[]).map((row) => row.team_id);
  }

  async prune(
    teamId: string,
    cutoffMs: number,
    admissionsCutoffMs: number,
  ): Promise<{ tasks: number; turns: number; events: number }> {
    return this.sqlite
      .transaction(() => {
        const idle = this.statements.idleTasks.all({ teamId, cutoff: cutoffMs }) as { id: number }[];
        let turns = 0;
        for (const { id } of idle) {
          turns += (this.statements.countTurns.get(teamId, id) as { n: number }).n;
          this.statements.deleteTask.run(teamId, id);
        }
        const events = this.statements.deleteEvents.run(teamId, cutoffMs).changes;
        this.statements.deleteAdmissions.run(teamId, admissionsCutoffMs);
        // A side-panel thread opened long ago and never used; a used one is a task and pruned as one.
        this.statements.deleteAssistantThreads.run(teamId, cutoffMs);
        this.statements.deleteCheckRuns.run(teamId, cutoffMs);
        this.statements.deleteThreadFiles.run(teamId, cutoffMs);
        // The data tools' audit rows live RETENTION_DAYS from the call, whatever became of the task.
        this.statements.deleteDataToolCalls.run(teamId, cutoffMs);
        return { tasks: idle.length, turns, events };
      })
      .immediate();
  }

  async findMessage(teamId: string, channelId: string, ts: string): Promise<StoredMessage | undefined> {
    const row = this.statements.findMessage.get(teamId, channelId, ts) as
      | (Omit<StoredMessage, 'first'> & { first: number })
      | undefined;
    return row ? { ...row, first: row.first === 1 } : undefined;
  }

  async deleteTurn(teamId: string, turnId: number): Promise<void> {
    this.statements.deleteTurn.run(teamId, turnId);
  }

  async setTurnContent(teamId: string, turnId: number, content: string): Promise<void> {
    this.statements.setTurnContent.run(content, teamId, turnId);
  }

  async setTaskText(teamId: string, taskId: number, text: string, title: string): Promise<void> {
    this.statements.setTaskText.run(text, title, teamId, taskId);
  }
}
