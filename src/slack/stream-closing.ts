/**
 * The closing blocks of a streamed answer (`MessageStream.finish`'s argument: the feedback buttons).
 * A live stream carries them in its chat.stopStream; a message that could not (posted and edited, not
 * streamed; or the stream ended on Slack's side) gets them in a message right after it, best effort.
 */
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { BlockMessage, ThreadTarget } from '../core/slack-roles.js';
import type { SlackCall } from './slack-calls.js';

export class StreamClosing {
  private message: BlockMessage | undefined;
  private shown = false;

  constructor(
    private readonly client: WebClient,
    private readonly target: ThreadTarget,
    private readonly call: SlackCall,
    /** The blocks could not be shown: logged, the answer stands. */
    private readonly onFailed: (error: unknown) => void,
  ) {}

  set(message: BlockMessage | undefined): void {
    this.message = message;
  }

  /** Whether there are closing blocks to show. */
  get wanted(): boolean {
    return this.message !== undefined;
  }

  /** The blocks for the chat.stopStream that closes the message; call `shownByStop` once it succeeded. */
  get blocks(): KnownBlock[] | undefined {
    return this.message?.blocks as KnownBlock[] | undefined;
  }

  shownByStop(): void {
    if (this.blocks) this.shown = true;
  }

  /** Posts the blocks in the thread right after the answer, unless its own close already showed them. */
  async postAfter(): Promise<void> {
    if (!this.message || this.shown) return;
    const { text, blocks } = this.message;
    // Best effort: the answer is written and stands; losing its feedback buttons to a Slack error must
    // not turn it into a failed task (which would rewrite the answer as a failure note).
    await this.call(
      () =>
        this.client.chat.postMessage({
          channel: this.target.channelId,
          thread_ts: this.target.threadTs,
          text,
          blocks: blocks as KnownBlock[],
          unfurl_links: false,
          unfurl_media: false,
        }),
      { idempotent: false },
    ).then(
      () => {
        this.shown = true;
      },
      (error: unknown) => this.onFailed(error),
    );
  }
}
