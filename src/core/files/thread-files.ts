/**
 * Why this file exists: the ports of files shared in a task's thread: where the bot remembers them (by
 * thread, recorded when the message arrives), how it asks Slack about one (files.info) and downloads it
 * (with the bot token, from Slack's file host only), and the limits. No SDK, no file system.
 */

export type ThreadFileStatus = 'new' | 'read' | 'refused';

export interface ThreadFileRow {
  id: number;
  fileId: string;
  messageTs: string;
  name: string | null;
  tableName: string | null;
  status: ThreadFileStatus;
  detail: string | null;
  replyState: 'claimed' | 'done' | null;
}

export interface ThreadRef {
  teamId: string;
  channelId: string;
  threadTs: string;
}

/**
 * Files one thread records at most: a message may carry 100 files and a thread any number of messages;
 * past this the bot stores (and later asks Slack about) nothing more. FILES_PER_TASK stays the smaller.
 */
export const MAX_FILES_PER_THREAD = 20;

export interface ThreadFileStore {
  /**
   * Remembers files shared in the thread, up to MAX_FILES_PER_THREAD; a file already recorded there is
   * left as it is.
   */
  /** `name` as the event showed it, until files.info says (a file Slack no longer has still has a name). */
  record(
    thread: ThreadRef,
    files: readonly { fileId: string; messageTs: string; name?: string }[],
  ): Promise<void>;
  /** The thread's files, oldest first. */
  list(thread: ThreadRef): Promise<ThreadFileRow[]>;
  update(
    teamId: string,
    id: number,
    fields: { name?: string; tableName?: string; status?: ThreadFileStatus; detail?: string },
  ): Promise<void>;
  setReplyState(teamId: string, id: number, state: 'claimed' | 'done'): Promise<void>;
}

/** What files.info says about a file (the fields the bot uses). */
export interface SharedFileInfo {
  id: string;
  name: string;
  /** Bytes, as Slack declares them. */
  size: number;
  /** Conversations the file is shared in (channels, groups, ims and shares). */
  sharedIn: readonly string[];
  /** `url_private_download`; absent for external or tombstoned files. */
  downloadUrl: string | undefined;
}

export interface SharedFileSource {
  /** files.info; `error` is Slack's code (file_not_found, file_deleted, missing_scope, …). */
  info(fileId: string): Promise<{ ok: true; file: SharedFileInfo } | { ok: false; error: string }>;
  /**
   * The file's bytes from Slack's file host, with the bot token, redirects not followed. Rejects when the
   * URL is on any other host (the token is never sent there) or Slack answers anything but 200.
   */
  open(file: SharedFileInfo, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}

export interface SharedFileLimits {
  /** FILES_MAX_MB: one file's bytes. */
  maxFileBytes: number;
  /** FILES_PER_TASK: files one task reads (the thread's first ones). */
  maxFilesPerTask: number;
  /** FILES_TOTAL_MB: bytes of all the files one task reads. */
  maxTotalBytes: number;
}

export const DEFAULT_SHARED_FILE_LIMITS: SharedFileLimits = {
  maxFileBytes: 50 * 1024 * 1024,
  maxFilesPerTask: 5,
  maxTotalBytes: 100 * 1024 * 1024,
};
