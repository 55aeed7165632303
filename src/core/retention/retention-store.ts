/** A human message stored as a turn of a conversation. */
export interface StoredMessage {
  turnId: number;
  taskId: number;
  /** The task's first turn: the request itself (it stays, as a placeholder, when deleted). */
  first: boolean;
  content: string;
}

/**
 * What is kept of Slack messages, and for how long: conversations idle for RETENTION_DAYS and old
 * delivery records are pruned; a message deleted or edited in Slack is deleted or edited here too.
 */
export interface RetentionStore {
  /** The workspaces with stored rows (pruning runs per workspace, like every other query). */
  teams(): Promise<string[]>;
  /**
   * Deletes the team's tasks with no activity since `cutoffMs` and nothing queued (their turns,
   * collaboration requests and jobs go with them), the delivery records and data-tool audit rows older
   * than `cutoffMs`, and the hourly limit's admissions older than `admissionsCutoffMs`.
   */
  prune(
    teamId: string,
    cutoffMs: number,
    admissionsCutoffMs: number,
  ): Promise<{ tasks: number; turns: number; events: number }>;
  findMessage(teamId: string, channelId: string, ts: string): Promise<StoredMessage | undefined>;
  deleteTurn(teamId: string, turnId: number): Promise<void>;
  setTurnContent(teamId: string, turnId: number, content: string): Promise<void>;
  /** The task's own copy of its request (text and title), as shown in lists, digests and Home. */
  setTaskText(teamId: string, taskId: number, text: string, title: string): Promise<void>;
}
