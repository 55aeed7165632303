/**
 * Why this file exists: the port through which the bot hands over files (code, the data dictionary,
 * diagrams) into a task's thread. Slack's external upload is the adapter (src/slack/file-uploads.ts);
 * the core never sees an SDK. Names, titles and comments reach this port already made safe
 * (src/render/file-texts.ts): no path, no live mention, no Slack markup.
 */

export interface ThreadFile {
  /** A bare file name with its extension, e.g. `sessions_daily.py`. */
  fileName: string;
  /** What the thread shows as the file's title, e.g. `dags/sessions_daily.py`. */
  title: string;
  bytes: Uint8Array;
}

export interface FileUploader {
  /**
   * Uploads one file into the thread, introduced by `comment` (mrkdwn text, already sanitised);
   * returns Slack's file id. Never repeated by the adapter after an ambiguous failure: the caller
   * records what it uploads and looks the file up before trying again.
   */
  upload(channelId: string, threadTs: string, file: ThreadFile, comment: string): Promise<string>;
  /** Deletes a file the bot uploaded; a file already gone counts as deleted. */
  remove(fileId: string): Promise<void>;
  /**
   * The id of a live file with this title the bot shared into the thread and that is not one of
   * `known` (the files already recorded for the task), if any: an upload that may have landed before a
   * crash is looked up here before it is made again.
   */
  findShared(
    channelId: string,
    threadTs: string,
    title: string,
    known: ReadonlySet<string>,
  ): Promise<string | undefined>;
}
