import type Database from 'better-sqlite3';
import {
  type FeedbackCounts,
  type FeedbackStore,
  MAX_COMMENT_CHARS,
  MAX_VOTE_CHANGES,
  type Vote,
  type VoteWrite,
} from '../core/feedback/feedback.js';

/** Votes on answers (answer_feedback), every statement scoped by team. */
export class SqliteFeedbackStore implements FeedbackStore {
  private readonly answer;
  private readonly existing;
  private readonly insert;
  private readonly change;
  private readonly note;
  private readonly counts;

  constructor(private readonly sqlite: Database.Database) {
    this.answer = sqlite.prepare(`
      select turns.task_id as taskId from turns join tasks on tasks.id = turns.task_id
      where turns.team_id = @teamId and turns.id = @turnId and turns.role = 'assistant'
        and tasks.team_id = @teamId and tasks.channel_id = @channelId`);
    this.existing = sqlite.prepare(`
      select vote, changes from answer_feedback
      where team_id = @teamId and turn_id = @turnId and user_id = @userId`);
    this.insert = sqlite.prepare(`
      insert into answer_feedback (team_id, turn_id, task_id, channel_id, user_id, vote)
      values (@teamId, @turnId, @taskId, @channelId, @userId, @vote)`);
    this.change = sqlite.prepare(`
      update answer_feedback
      set vote = @vote, changes = changes + 1, comment = null,
          updated_at = cast(unixepoch('subsec') * 1000 as integer)
      where team_id = @teamId and turn_id = @turnId and user_id = @userId`);
    this.note = sqlite.prepare(`
      update answer_feedback set comment = @text
      where team_id = @teamId and turn_id = @turnId and user_id = @userId and vote = 'down'`);
    this.counts = sqlite.prepare(`
      select coalesce(sum(vote = 'up'), 0) as up, coalesce(sum(vote = 'down'), 0) as down
      from answer_feedback where team_id = @teamId and channel_id = @channelId and updated_at >= @since`);
  }

  async answerIn(teamId: string, channelId: string, turnId: number): Promise<{ taskId: number } | undefined> {
    return this.answer.get({ teamId, channelId, turnId }) as { taskId: number } | undefined;
  }

  async vote(
    teamId: string,
    answer: { turnId: number; taskId: number; channelId: string },
    userId: string,
    vote: Vote,
  ): Promise<VoteWrite> {
    const write = this.sqlite.transaction((): VoteWrite => {
      const key = { teamId, turnId: answer.turnId, userId };
      const row = this.existing.get(key) as { vote: Vote; changes: number } | undefined;
      if (!row) {
        this.insert.run({ ...key, taskId: answer.taskId, channelId: answer.channelId, vote });
        return 'stored';
      }
      if (row.vote === vote) return 'unchanged';
      if (row.changes >= MAX_VOTE_CHANGES) return 'too_many_changes';
      this.change.run({ ...key, vote });
      return 'changed';
    });
    return write.immediate();
  }

  async comment(teamId: string, turnId: number, userId: string, text: string): Promise<boolean> {
    const kept = text.trim().slice(0, MAX_COMMENT_CHARS);
    return this.note.run({ teamId, turnId, userId, text: kept || null }).changes > 0;
  }

  async feedbackCounts(teamId: string, channelId: string, since: number): Promise<FeedbackCounts> {
    return this.counts.get({ teamId, channelId, since }) as FeedbackCounts;
  }
}
