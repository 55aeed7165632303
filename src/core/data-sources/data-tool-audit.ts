/**
 * Why this file exists: every call of an agent data tool is recorded — refused and failed ones too —
 * so an admin can see what the bot read from the team's data, for whom, and what it refused
 * (`/data-engineer audit`). Rows are pruned with the rest after RETENTION_DAYS.
 */

/** The longest statement or target text kept per call. */
export const MAX_AUDIT_STATEMENT_CHARS = 4_000;

export interface DataToolCallRecord {
  teamId: string;
  channelId: string;
  /** Who asked: the task's requester (the model acts for them). */
  userId: string;
  taskId: number;
  sourceName: string;
  tool: string;
  /** The statement, or the target (`public.orders`), cut to MAX_AUDIT_STATEMENT_CHARS. */
  statement: string;
  rowsReturned: number;
  durationMs: number;
  /** The read-only guard (or a cap, or a lost mapping) refused the call before the source ran it. */
  refused: boolean;
  /** Why it was refused, or the source's safe error; undefined when it succeeded. */
  reason?: string;
}

export type StoredDataToolCall = DataToolCallRecord & { id: number; createdAt: number };

/** SQL in src/store/data-audit-repo.ts; every query scoped by team_id. */
export interface DataToolAuditStore {
  record(call: DataToolCallRecord): Promise<void>;
  /** The newest calls of the workspace (or of one channel), newest first. */
  recent(teamId: string, options: { channelId?: string; limit: number }): Promise<StoredDataToolCall[]>;
}
