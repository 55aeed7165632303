import type { WebClient } from '@slack/web-api';
import { abortReason, JobAbortedError } from '../core/errors.js';
import type { ProgressStep } from '../core/progress.js';
import type { BlockMessage, MessageStream, ThreadTarget } from '../core/slack-roles.js';
import type { SlackCall } from './slack-calls.js';
import { slackError, slackErrorCode, toSlackError } from './slack-errors.js';
import { StreamCalls } from './stream-calls.js';
import { StreamClosing } from './stream-closing.js';
import { FirstLineHold } from './stream-first-line.js';
import { rememberWrite, type StreamPolicy } from './stream-policy.js';
import { type PendingStep, progressRefusal, type StreamChunk, StreamProgress } from './stream-progress.js';
import { STOPPED_BY_USER, STREAMING_REFUSED } from './stream-refusals.js';

export { FIRST_LINE_MAX_CHARS, firstLineReady } from './stream-first-line.js';
export type { StreamPolicy } from './stream-policy.js';

type Mode = 'stream' | 'post' | 'update';

/**
 * One Slack message written progressively. The first text goes out as soon as its first line is
 * complete (or ~80 characters, or `firstLineWaitMs` after the first text) with chat.startStream, later
 * text is batched into at most one write per `minIntervalMs` (chat.appendStream), and `finish()`
 * closes it (chat.stopStream). When streaming is refused it posts then edits (chat.postMessage /
 * chat.update) at the same pace; an existing message (`existingTs`) is rewritten with chat.update.
 * Writes run one at a time in order; the first failure is kept and reported by `finish()`.
 *
 * Progress steps (`progress()`) go out as task_update chunks in the same writes as the text, so they
 * keep the pace; a step may open the stream before the first line of text is ready, but that text is
 * still held until it is readable. Steps still in progress are marked complete by the closing write.
 * Where Slack refuses the chunks, they are dropped (the text still goes out) and the caller is told.
 */
export class SlackMessageStream implements MessageStream {
  private mode: Mode;
  private ts: string | undefined;
  private text = '';
  private sent = 0;
  private lastWriteAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private chain: Promise<void>;
  private failure: unknown;
  private finished = false;
  private stoppedByUser = false;
  private readonly signal: AbortSignal | undefined;
  private closedAfterStop = false;
  /** A new message's first write waits for its first readable line (not when rewriting one). */
  private readonly firstLine: FirstLineHold;
  /** The progress steps; none when rewriting a message posted before. */
  private readonly steps: StreamProgress;
  /** Blocks to show under the finished text (finish's argument). */
  private readonly closing: StreamClosing;
  private readonly slack: StreamCalls;

  constructor(
    client: WebClient,
    target: ThreadTarget,
    private readonly events: { onTs(ts: string): void; onStoppedByUser?(): void; onProgressRefused?(): void },
    private readonly policy: StreamPolicy,
    call: SlackCall,
    options: { existingTs?: string | undefined; after?: Promise<unknown>; signal?: AbortSignal } = {},
  ) {
    this.signal = options.signal;
    this.ts = options.existingTs;
    this.firstLine = new FirstLineHold(policy.firstLineWaitMs, options.existingTs === undefined);
    this.steps = new StreamProgress((code) => {
      this.policy.progressRefused(code);
      this.events.onProgressRefused?.();
    });
    this.closing = new StreamClosing(client, target, call, (error) => policy.closingFailed(error));
    this.slack = new StreamCalls(client, target, call);
    if (this.ts) this.lastWriteAt = policy.lastWrites.get(this.ts) ?? 0;
    this.mode = options.existingTs ? 'update' : policy.streamingAllowed() ? 'stream' : 'post';
    this.chain = (options.after ?? Promise.resolve()).then(
      () => undefined,
      () => undefined,
    );
  }

  append(markdown: string): void {
    if (this.finished || markdown === '' || this.signal?.aborted) return;
    this.text += markdown;
    this.schedule();
  }

  progress(step: ProgressStep): boolean {
    if (this.finished || this.signal?.aborted) return false;
    if (this.mode !== 'stream' || this.steps.refused || !this.policy.progressAllowed()) return false;
    this.steps.add(step, this.text.length);
    this.schedule();
    return true;
  }

  async finish(closingBlocks?: BlockMessage): Promise<string> {
    this.finished = true;
    this.closing.set(closingBlocks);
    if (this.timer) clearTimeout(this.timer);
    this.firstLine.cancel();
    this.timer = undefined;
    this.enqueue(async () => {
      await this.waitForSlot();
      await this.write(true);
      // Closing blocks the message itself could not carry go in a message right after it.
      if (this.ts && !this.stoppedByUser) await this.closing.postAfter();
    });
    await this.chain;
    if (this.failure) {
      // Never leave a message spinning as "in progress": close the stream if one was opened (but an
      // aborted job writes nothing more: after a Stop it was closed already, else it is not ours).
      if (this.mode === 'stream' && this.ts && !(this.failure instanceof JobAbortedError))
        await this.slack.stopQuietly(this.ts);
      throw this.failure;
    }
    if (!this.ts) throw slackError('no_message', 'chat.postMessage');
    return this.ts;
  }

  private schedule(): void {
    if (this.flushQueued || this.finished) return;
    // A step to show opens the message at once (its text may still be held, see write).
    if (!this.steps.hasPending && this.firstLine.waiting(this.text, this.sent, () => this.schedule())) return;
    this.flushQueued = true;
    const wait = Math.max(0, this.lastWriteAt + this.policy.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueue(async () => {
        // Text appended from here on needs another flush; this one may still have to wait its turn.
        this.flushQueued = false;
        await this.waitForSlot();
        await this.write(false);
        if (this.sent < this.text.length || this.steps.hasPending) this.schedule();
      });
    }, wait);
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      const aborted = abortReason(this.signal);
      if (aborted) {
        // The job was aborted: nothing more is written. Only a Stop closes the live stream, so it
        // does not spin as "in progress"; a lost lease leaves the message to the job's new owner.
        this.failure = new JobAbortedError(aborted);
        if (aborted.kind === 'stopped') await this.closeStream();
        return;
      }
      try {
        await step();
      } catch (error) {
        this.failure =
          error instanceof JobAbortedError ? error : toSlackError(error, `message writer (${this.mode})`);
      }
    });
  }

  private async waitForSlot(): Promise<void> {
    const wait = this.lastWriteAt + this.policy.minIntervalMs - Date.now();
    if (wait > 0 && this.ts) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private async write(final: boolean): Promise<void> {
    if (this.stoppedByUser) return;
    // Aborted while this write waited for its slot: it never reaches Slack.
    const aborted = abortReason(this.signal);
    if (aborted) {
      if (aborted.kind === 'stopped') await this.closeStream();
      throw new JobAbortedError(aborted);
    }
    const upTo = !final && this.firstLine.textHeld(this.text, this.sent) ? this.sent : this.text.length;
    const steps = this.steps.take(final, this.text.length);
    const chunks = this.chunksUpTo(upTo, steps);
    if (final) chunks.push(...this.steps.closingChunks());
    // Nothing new: only a live stream still needs its closing call.
    if (chunks.length === 0 && !(final && this.mode === 'stream' && this.ts)) return;
    try {
      await this.writeWithSteps(chunks, steps.length > 0, upTo, final);
    } catch (error) {
      if ((await this.recoverFrom(error)) === 'rewrite')
        await this.writeMode(this.chunksUpTo(upTo, []), final);
    } finally {
      this.markWritten();
    }
    if (!this.stoppedByUser) this.sent = upTo;
  }

  /** Writes the text with its steps; where Slack refuses the steps, writes the text without them. */
  private async writeWithSteps(chunks: StreamChunk[], hasSteps: boolean, upTo: number, final: boolean) {
    try {
      await this.writeMode(chunks, final);
    } catch (error) {
      const code = progressRefusal(error);
      if (!hasSteps || !code || this.mode !== 'stream') throw error;
      // The steps were refused (or streaming itself was): show the text without them.
      this.steps.refuse(code);
      const textOnly = this.chunksUpTo(upTo, []);
      if (STREAMING_REFUSED.has(code) && !this.ts) {
        this.policy.streamingRefused(code);
        this.mode = 'post';
      }
      if (textOnly.length === 0 && !(final && this.ts)) return;
      await this.writeMode(textOnly, final);
    }
  }

  /**
   * After a failed write: `rewrite` when the text is to be written again another way (posted, or the
   * whole message updated), `stopped` when the reader stopped the stream; any other failure is rethrown.
   */
  private async recoverFrom(error: unknown): Promise<'rewrite' | 'stopped'> {
    const code = slackErrorCode(error);
    if (this.mode === 'stream' && !this.ts && code && STREAMING_REFUSED.has(code)) {
      this.policy.streamingRefused(code);
      this.mode = 'post';
      return 'rewrite';
    }
    if (this.mode === 'stream' && this.ts && code === STOPPED_BY_USER) {
      this.stoppedByUser = true;
      this.sent = this.text.length;
      // Slack's own Stop on the message ends the whole answer, not only this message.
      this.events.onStoppedByUser?.();
      return 'stopped';
    }
    if (this.mode === 'stream' && this.ts) {
      // The stream ended on Slack's side, or one append or stop failed (and may or may not have
      // landed): the message exists, so rewrite its whole text with chat.update. Nothing is lost
      // and nothing is doubled.
      this.mode = 'update';
      // The failed write may have landed: the rewrite keeps the 1 write/s pace after it.
      this.markWritten();
      await this.waitForSlot();
      return 'rewrite';
    }
    throw error;
  }

  /** The text from `sent` to `upTo` with the steps between, each where it happened in the text. */
  private chunksUpTo(upTo: number, steps: PendingStep[]): StreamChunk[] {
    return this.steps.chunks(this.text, this.sent, upTo, steps);
  }

  /** Sends `chunks` the way the current mode writes (see the class comment). */
  private async writeMode(chunks: StreamChunk[], final: boolean): Promise<void> {
    if (this.mode === 'stream' && !this.ts) {
      // The whole message fits in one write: no stream needed, unless blocks or steps go with it.
      if (final && !this.closing.wanted && chunks.every((chunk) => chunk.type === 'markdown_text'))
        return this.post();
      this.setTs(await this.slack.start(chunks));
      if (!final) return;
      // Opened and closed at once, to carry the closing blocks: the close keeps the pace too.
      this.markWritten();
      await this.waitForSlot();
      return this.stopStream([]);
    }
    if (this.mode === 'stream' && this.ts) {
      if (final) await this.stopStream(chunks);
      else await this.slack.append(this.ts, chunks);
      return;
    }
    if (!this.ts) return this.post();
    await this.slack.update(this.ts, this.text);
  }

  /** Counted from when Slack answered, so two writes never reach Slack less than the interval apart. */
  private markWritten(): void {
    this.lastWriteAt = Date.now();
    if (this.ts) rememberWrite(this.policy.lastWrites, this.ts, this.lastWriteAt);
  }

  /** Closes the live stream with the last text and, when given, the closing blocks under it. */
  private async stopStream(chunks: StreamChunk[]): Promise<void> {
    await this.slack.stop(this.ts ?? '', chunks, this.closing.blocks);
    this.closing.shownByStop();
  }

  private async post(): Promise<void> {
    this.setTs(await this.slack.post(this.text));
  }

  private setTs(ts: string | undefined): void {
    if (!ts) throw slackError('no_ts', 'chat.postMessage');
    this.ts = ts;
    this.events.onTs(ts);
  }

  /** Closes a live stream without adding text (after a Stop), once. */
  private async closeStream(): Promise<void> {
    if (this.closedAfterStop || this.stoppedByUser || this.mode !== 'stream' || !this.ts) return;
    this.closedAfterStop = true;
    await this.slack.stopQuietly(this.ts);
  }
}
