/**
 * What a message stream needs from its gateway, shared by every message it writes: the write pace,
 * the first-line wait, and Slack's recent refusals (of streaming, of progress steps), so one refusal
 * is not asked again by every answer.
 */

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
