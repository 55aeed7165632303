/**
 * The Slack Web API calls one progressively written message is made of, each with its retry safety:
 * opening, appending to or posting a message is never repeated (it could land twice), closing or
 * editing one may be. The stream's state machine decides which to make; this file only makes them.
 */
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { ThreadTarget } from '../core/slack-roles.js';
import type { SlackCall } from './slack-calls.js';
import { slackErrorCode } from './slack-errors.js';
import type { StreamChunk } from './stream-progress.js';
import { TASK_DISPLAY_MODE } from './stream-progress.js';

export class StreamCalls {
  constructor(
    private readonly client: WebClient,
    private readonly target: ThreadTarget,
    private readonly call: SlackCall,
  ) {}

  /** Opens a streaming message in the thread with its first chunks; returns its ts. */
  async start(chunks: StreamChunk[]): Promise<string | undefined> {
    const { channelId: channel, threadTs: thread_ts } = this.target;
    const started = await this.call(
      () =>
        this.client.chat.startStream({
          channel,
          thread_ts,
          recipient_team_id: this.target.teamId,
          recipient_user_id: this.target.recipientUserId,
          task_display_mode: TASK_DISPLAY_MODE,
          chunks,
        }),
      { idempotent: false },
    );
    return started.ts;
  }

  async append(ts: string, chunks: StreamChunk[]): Promise<void> {
    const channel = this.target.channelId;
    await this.call(() => this.client.chat.appendStream({ channel, ts, chunks }), { idempotent: false });
  }

  /** Closes the live stream with the last chunks and, when given, blocks under the text. */
  async stop(ts: string, chunks: StreamChunk[], blocks: KnownBlock[] | undefined): Promise<void> {
    const channel = this.target.channelId;
    await this.call(
      () =>
        this.client.chat.stopStream({
          channel,
          ts,
          ...(chunks.length ? { chunks } : {}),
          ...(blocks ? { blocks } : {}),
        }),
      { idempotent: true },
    );
  }

  /** Closes a live stream without adding anything, ignoring failure (so it never spins "in progress"). */
  async stopQuietly(ts: string): Promise<void> {
    await this.call(() => this.client.chat.stopStream({ channel: this.target.channelId, ts }), {
      idempotent: true,
    }).catch(() => undefined);
  }

  /** Posts `text` as a new message in the thread; returns its ts. */
  async post(text: string): Promise<string | undefined> {
    const posted = await this.call(
      () =>
        this.client.chat.postMessage({
          channel: this.target.channelId,
          thread_ts: this.target.threadTs,
          markdown_text: text,
          // Model text never unfurls: a preview could show a page (or fetch an image) the reader never chose.
          unfurl_links: false,
          unfurl_media: false,
        }),
      { idempotent: false },
    );
    return posted.ts;
  }

  /** Rewrites message `ts` with `text`. */
  async update(ts: string, text: string): Promise<void> {
    const args = { channel: this.target.channelId, ts, markdown_text: text };
    try {
      await this.call(() => this.client.chat.update(args), { idempotent: true });
    } catch (error) {
      // A message left mid-stream (e.g. by a crash) must be stopped before it can be edited.
      if (slackErrorCode(error) !== 'streaming_state_conflict') throw error;
      await this.call(() => this.client.chat.stopStream({ channel: this.target.channelId, ts }), {
        idempotent: true,
      });
      await this.call(() => this.client.chat.update(args), { idempotent: true });
    }
  }
}
