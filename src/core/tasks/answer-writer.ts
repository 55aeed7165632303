import {
  LinkSafeStream,
  MentionSafeStream,
  type SplitOp,
  StreamingMessageSplitter,
} from '../../render/index.js';
import type { ProgressStep } from '../progress.js';
import type {
  AnswerStreamer,
  BlockMessage,
  MessageStream,
  ThreadTarget,
  ThreadWriter,
} from '../slack-roles.js';

/**
 * Turns a stream of untrusted model text into one or more Slack messages in a thread:
 * every link shows its real target and images are never shown (LinkSafeStream), mentions are neutralised (also when split across deltas), and the text is cut into messages that
 * stay inside Slack's limits with balanced code fences. Messages are written strictly in order.
 *
 * `restart()` supports a model retry after part of an answer was shown: the messages already posted
 * are rewritten in place (chat.update) instead of leaving a half answer beside a second copy; any
 * left over at the end are deleted.
 */
export class ThreadAnswerWriter {
  private links = new LinkSafeStream();
  private safe = new MentionSafeStream();
  private splitter = new StreamingMessageSplitter();
  private current: MessageStream | undefined;
  /** Resolves when the previous message is complete, so the next one starts after it. */
  private previous: Promise<unknown> = Promise.resolve();
  private finishing: Promise<string>[] = [];
  private postedTs: string[] = [];
  private reusableTs: string[] = [];
  private index = 0;
  private firstTsReported = false;
  /** Finished or abandoned: nothing more opens a message. */
  private closed = false;
  /** The store writes `onFirstTs`/`onMessages` started, settled: `finish` reports the first that failed. */
  private recording: Promise<{ error: unknown } | undefined>[] = [];

  /**
   * `existingTs`: messages an earlier, interrupted attempt at this answer reached (a crash mid-stream);
   * they are rewritten in place and any left over are deleted. `onMessages` reports every message's
   * ts as soon as Slack gives it, so the next attempt can do that.
   */
  constructor(
    private readonly slack: Pick<AnswerStreamer, 'openMessage'> & Pick<ThreadWriter, 'deleteMessage'>,
    private readonly target: ThreadTarget,
    private readonly onFirstTs: (ts: string) => void | Promise<void>,
    private readonly options: {
      existingTs?: string[];
      onMessages?: (ts: string[]) => void | Promise<void>;
      /** Slack's own Stop was pressed on one of the messages: the whole answer ends. */
      onStoppedByUser?: () => void;
      /** Slack refused the progress steps: they are shown another way from now on. */
      onProgressRefused?: () => void;
    } = {},
  ) {
    this.postedTs = [...(options.existingTs ?? [])];
    this.reusableTs = [...this.postedTs];
  }

  write(delta: string): void {
    this.apply(this.splitter.push(this.safe.push(this.links.push(delta))));
  }

  /**
   * Shows a step of the answer's progress on the message being written (opening it if needed).
   * False when it cannot be shown there: the caller shows it another way.
   */
  progress(step: ProgressStep): boolean {
    if (this.closed) return false;
    return this.open().progress?.(step) ?? false;
  }

  /** Forget what was written; the next text overwrites the messages already in the thread. */
  async restart(): Promise<void> {
    this.closeCurrent();
    // Wait until every message has its ts, so none is forgotten (and left dangling) below.
    await Promise.allSettled(this.finishing);
    // What happened to the earlier writes no longer matters: they are all about to be rewritten.
    this.finishing = [];
    this.previous = Promise.resolve();
    this.reusableTs = [...this.postedTs];
    this.index = 0;
    this.links = new LinkSafeStream();
    this.safe = new MentionSafeStream();
    this.splitter = new StreamingMessageSplitter();
  }

  /** Ends the answer where it is (a Stop): no more text is written; the open message is closed. */
  async abandon(): Promise<void> {
    this.closed = true;
    this.closeCurrent();
    await Promise.allSettled(this.finishing);
  }

  /**
   * Writes the rest, waits for Slack, removes messages a restart left unused; returns the ts of each
   * message. `closingBlocks` go under the last message (see MessageStream.finish).
   */
  async finish(closingBlocks?: BlockMessage): Promise<string[]> {
    this.closed = true;
    this.apply(this.splitter.push(this.safe.push(this.links.flush()) + this.safe.flush()));
    this.apply(this.splitter.end());
    this.closeCurrent(closingBlocks);
    const written = await Promise.all(this.finishing);
    const failed = (await Promise.all(this.recording)).find((outcome) => outcome !== undefined);
    if (failed) throw failed.error;
    const unused = this.reusableTs.slice(this.index);
    for (const ts of unused) await this.slack.deleteMessage(this.target.channelId, ts);
    return [...new Set(written)].filter((ts) => !unused.includes(ts));
  }

  private apply(ops: SplitOp[]): void {
    for (const op of ops) {
      if (op.kind === 'break') this.closeCurrent();
      else if (op.text) this.open().append(op.text);
    }
  }

  private open(): MessageStream {
    if (this.current) return this.current;
    const existingTs = this.reusableTs[this.index];
    this.current = this.slack.openMessage(
      this.target,
      {
        onTs: (ts) => {
          if (!this.postedTs.includes(ts)) {
            this.postedTs.push(ts);
            this.track(this.options.onMessages?.([...this.postedTs]));
          }
          if (!this.firstTsReported) {
            this.firstTsReported = true;
            this.track(this.onFirstTs(ts));
          }
        },
        onStoppedByUser: () => this.options.onStoppedByUser?.(),
        onProgressRefused: () => this.options.onProgressRefused?.(),
      },
      { existingTs, after: this.previous },
    );
    return this.current;
  }

  /** Keeps a store write's outcome for `finish` (handled at once: a failure is never an unhandled rejection). */
  private track(write: void | Promise<void>): void {
    this.recording.push(
      Promise.resolve(write).then(
        () => undefined,
        (error: unknown) => ({ error }),
      ),
    );
  }

  private closeCurrent(closingBlocks?: BlockMessage): void {
    if (!this.current) return;
    const done = this.current.finish(closingBlocks);
    // A failed message must not stop the messages after it from being attempted; finish() reports it.
    this.previous = done.catch(() => undefined);
    this.finishing.push(done);
    this.current = undefined;
    this.index += 1;
  }
}
