import type { WebClient } from '@slack/web-api';
import type { FileUploader, ThreadFile } from '../core/artifacts/file-uploader.js';
import type { Logger } from '../core/logger.js';
import { type SlackCall, type SlackCallPolicy, slackCaller } from './slack-calls.js';
import { slackErrorCode, toSlackError } from './slack-errors.js';

/**
 * The FileUploader over Slack's external upload: the WebClient's `filesUploadV2` asks
 * files.getUploadURLExternal for an upload URL (Slack's, or the fake's under SLACK_API_URL: the URL
 * comes back in the response), POSTs the bytes there and shares the file into the thread with
 * files.completeUploadExternal. An upload is never repeated here after an ambiguous failure (it may
 * have been shared): the caller looks it up with `findShared` first, which adopts only a file this bot
 * shared (another app's bot may post a file of the same title into the thread).
 */

/** Who "we" are in Slack (from auth.test): our messages carry botId, our files botUserId. */
export interface BotIdentity {
  botId: string;
  botUserId: string;
}
export class SlackFileUploads implements FileUploader {
  private readonly call: SlackCall;

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    private readonly self: BotIdentity,
    policy?: SlackCallPolicy,
  ) {
    this.call = slackCaller(policy);
  }

  async upload(channelId: string, threadTs: string, file: ThreadFile, comment: string): Promise<string> {
    try {
      const result = await this.call(
        () =>
          this.client.filesUploadV2({
            channel_id: channelId,
            thread_ts: threadTs,
            initial_comment: comment,
            file: Buffer.from(file.bytes),
            filename: file.fileName,
            title: file.title,
          }),
        { idempotent: false },
      );
      const id = firstFileId(result);
      if (!id) throw new Error('files.completeUploadExternal returned no file');
      return id;
    } catch (error) {
      throw toSlackError(error, 'files.completeUploadExternal');
    }
  }

  async remove(fileId: string): Promise<void> {
    try {
      await this.call(() => this.client.files.delete({ file: fileId }), { idempotent: true });
    } catch (error) {
      const code = slackErrorCode(error);
      if (code === 'file_not_found' || code === 'file_deleted') {
        this.logger.debug('file already deleted', { fileId, code });
        return;
      }
      // Not ours to delete (a file recorded as ours by mistake): retrying cannot change that.
      if (code === 'cant_delete_file') {
        this.logger.warn('file not deleted: Slack says it is not ours', { fileId, code });
        return;
      }
      throw toSlackError(error, 'files.delete');
    }
  }

  async findShared(
    channelId: string,
    threadTs: string,
    title: string,
    known: ReadonlySet<string>,
  ): Promise<string | undefined> {
    let cursor: string | undefined;
    try {
      do {
        const page = await this.call(
          () =>
            this.client.conversations.replies({
              channel: channelId,
              ts: threadTs,
              limit: 200,
              ...(cursor ? { cursor } : {}),
            }),
          { idempotent: true },
        );
        for (const message of page.messages ?? []) {
          if (message.bot_id !== this.self.botId) continue;
          const found = (message.files ?? []).find(
            (f) =>
              f.title === title &&
              f.user === this.self.botUserId &&
              f.mode !== 'tombstone' &&
              !known.has(f.id ?? ''),
          );
          if (found?.id) return found.id;
        }
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
      return undefined;
    } catch (error) {
      throw toSlackError(error, 'conversations.replies');
    }
  }
}

/** filesUploadV2 answers `{ files: [ { files: [File] } ] }` (one completion per group of files). */
function firstFileId(result: unknown): string | undefined {
  const completions = (result as { files?: { files?: { id?: string }[] }[] }).files ?? [];
  return completions[0]?.files?.[0]?.id;
}
