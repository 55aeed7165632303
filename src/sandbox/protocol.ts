import type { TablesReport } from '../core/artifacts/table-schema.js';
import type { FileLoadOutcome } from '../core/files/loaded-file.js';
import type { ParseOutcome, SqlDialect, SqlRunReport } from '../core/sandbox/sandbox.js';
import type { StagedFile } from './file-loader.js';

/**
 * Why this file exists: the messages between the bot's process and the sandbox child (Node IPC, JSON).
 * Every request carries an id; the child answers each with exactly one reply of the same id.
 */

export type ChildRequest =
  | { type: 'open'; id: number; sessionId: string }
  | { type: 'run'; id: number; sessionId: string; sql: string }
  | { type: 'close'; id: number; sessionId: string }
  | { type: 'describe-tables'; id: number; sessionId: string }
  /** Loads files the bot staged in a private directory as tables of the session (file-loader.ts). */
  | { type: 'load-files'; id: number; sessionId: string; files: StagedFile[] }
  | { type: 'parse-sql'; id: number; dialect: SqlDialect; text: string }
  | { type: 'parse-yaml'; id: number; text: string };

export type ChildReply =
  | {
      type: 'reply';
      id: number;
      ok: true;
      report?: SqlRunReport;
      parse?: ParseOutcome;
      tables?: TablesReport;
      files?: FileLoadOutcome[];
      /** The child's resident memory after a close (the bot reuses only a small child). */
      rssMb?: number;
    }
  | { type: 'reply'; id: number; ok: false; error: string }
  /** Sent just before the child exits on its own (its memory watchdog). */
  | { type: 'fatal'; reason: string };

/** The child reads its limits from this environment variable (the only one it gets). */
export const LIMITS_ENV = 'DEB_SANDBOX_LIMITS';
