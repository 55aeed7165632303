import { and, desc, eq } from 'drizzle-orm';
import {
  type DataToolAuditStore,
  type DataToolCallRecord,
  MAX_AUDIT_STATEMENT_CHARS,
  type StoredDataToolCall,
} from '../core/data-sources/data-tool-audit.js';
import type { Db } from './db.js';
import { dataToolCalls } from './schema.js';

/** The most rows one audit listing may ask for. */
const MAX_LIMIT = 100;

/** An audit row as the port shows it (either store's row). */
export function toStoredCall(row: typeof dataToolCalls.$inferSelect): StoredDataToolCall {
  return {
    id: row.id,
    teamId: row.teamId,
    channelId: row.channelId,
    userId: row.userId,
    taskId: row.taskId,
    sourceName: row.sourceName,
    tool: row.tool,
    statement: row.statement,
    rowsReturned: row.rowsReturned,
    durationMs: row.durationMs,
    refused: row.refused,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    createdAt: row.createdAt,
  };
}

/** The row `record` writes (the same in either store). */
export function auditRowOf(call: DataToolCallRecord) {
  return {
    teamId: call.teamId,
    channelId: call.channelId,
    userId: call.userId,
    taskId: call.taskId,
    sourceName: call.sourceName,
    tool: call.tool,
    statement: call.statement.slice(0, MAX_AUDIT_STATEMENT_CHARS),
    rowsReturned: call.rowsReturned,
    durationMs: Math.round(call.durationMs),
    refused: call.refused,
    reason: call.reason?.slice(0, MAX_AUDIT_STATEMENT_CHARS) ?? null,
    createdAt: Date.now(),
  };
}

/** The most rows one listing returns, whatever it asks for. */
export function auditLimit(limit: number): number {
  return Math.max(1, Math.min(limit, MAX_LIMIT));
}

/** SQLite-backed DataToolAuditStore. Every statement filters by team_id. */
export class SqliteDataToolAuditStore implements DataToolAuditStore {
  constructor(private readonly db: Db) {}

  async record(call: DataToolCallRecord): Promise<void> {
    this.db.insert(dataToolCalls).values(auditRowOf(call)).run();
  }

  async recent(
    teamId: string,
    options: { channelId?: string; limit: number },
  ): Promise<StoredDataToolCall[]> {
    const where = options.channelId
      ? and(eq(dataToolCalls.teamId, teamId), eq(dataToolCalls.channelId, options.channelId))
      : eq(dataToolCalls.teamId, teamId);
    return this.db
      .select()
      .from(dataToolCalls)
      .where(where)
      .orderBy(desc(dataToolCalls.createdAt), desc(dataToolCalls.id))
      .limit(auditLimit(options.limit))
      .all()
      .map(toStoredCall);
  }
}
