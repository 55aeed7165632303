/**
 * What a message stream needs from its gateway, shared by every message it writes: the write pace,
 * the first-line wait, and Slack's recent refusals (of streaming, of progress steps), so one refusal
 * is not asked again by every answer.
 */
import type { Logger } from '../core/logger.js';
import { slackErrorCode } from './slack-errors.js';

/** After Slack refuses streaming, post-then-edit for this long before trying streaming again. */
const STREAMING_RETRY_AFTER_MS = 10 * 60_000;

export interface StreamPolicy {
  /** Minimum time between two writes to the same message. */
  minIntervalMs: number;
  /**
   * How long a new message's first write waits for its first complete line (see firstLineReady);
   * past it, whatever has arrived is written, so a slow model still shows text early.
   */
  firstLineWaitMs: number;
  /**
   * When each message was last written, shared by every writer of the gateway: a message rewritten by
   * a new writer (an answer restarted after a model retry) keeps its pace.
   */
  lastWrites: Map<string, number>;
  streamingAllowed(): boolean;
  streamingRefused(code: string): void;
  /** The optional closing blocks (feedback buttons) could not be shown: logged, the answer stands. */
  closingFailed(error: unknown): void;
  /** Whether to send progress steps (task_update chunks); false for a while after Slack refused them. */
  progressAllowed(): boolean;
  progressRefused(code: string): void;
}

/** Keeps the shared map small: entries older than a minute no longer hold anyone back. */
export function rememberWrite(lastWrites: Map<string, number>, ts: string, at: number): void {
  lastWrites.set(ts, at);
  if (lastWrites.size > 500) {
    for (const [key, when] of lastWrites) if (at - when > 60_000) lastWrites.delete(key);
  }
}

/** The policy every message of one gateway shares; a refusal by Slack is remembered for a while. */
export function sharedStreamPolicy(
  logger: Logger,
  options: { minWriteIntervalMs?: number; firstLineWaitMs?: number },
): StreamPolicy {
  let streamingRefusedAt = 0;
  let progressRefusedAt = 0;
  return {
    minIntervalMs: options.minWriteIntervalMs ?? 1000,
    // Within ~300 ms of the model's first token the reader sees a line, even from a slow model.
    firstLineWaitMs: options.firstLineWaitMs ?? 250,
    lastWrites: new Map(),
    streamingAllowed: () => Date.now() - streamingRefusedAt > STREAMING_RETRY_AFTER_MS,
    streamingRefused: (code) => {
      streamingRefusedAt = Date.now();
      logger.warn('Slack refused streaming; posting and editing messages instead', { code });
    },
    closingFailed: (error) =>
      logger.warn("An answer's feedback buttons could not be posted; the answer stands", {
        error: slackErrorCode(error) ?? String(error),
      }),
    progressAllowed: () => Date.now() - progressRefusedAt > STREAMING_RETRY_AFTER_MS,
    progressRefused: (code) => {
      progressRefusedAt = Date.now();
      logger.warn('Slack refused progress steps; showing them as the thread status instead', { code });
    },
  };
}
