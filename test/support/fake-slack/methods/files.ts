import type { Method, SlackState } from '../state.js';
import { FAKE_TEAM_ID } from '../types.js';
import { fail, ok } from '../wire.js';

/**
 * Slack's external file upload (files.getUploadURLExternal → POST the bytes to `upload_url` →
 * files.completeUploadExternal) and files.delete, with the arguments, limits and error names Slack
 * documents (docs.slack.dev/reference/methods/files.*). The bytes are kept so tests can read them back.
 */

/** Slack's own cap on one file (1 GB); `setFileSizeLimit` lowers it as a team's restriction would. */
export const MAX_FILE_BYTES = 1024 ** 3;
/** Text snippets (`snippet_type`) are limited to 1 MB. */
export const MAX_SNIPPET_BYTES = 1024 ** 2;
/** `alt_txt` / `alt_text` of an image. */
export const MAX_ALT_TEXT_CHARS = 1_000;
/** files.completeUploadExternal's `initial_comment` follows chat.postMessage's `text` limit. */
export const MAX_INITIAL_COMMENT_CHARS = 40_000;

export interface FakeFile {
  id: string;
  name: string;
  /** Declared in files.getUploadURLExternal. */
  length: number;
  /** What arrived at the upload URL (undefined until then). */
  bytes?: Buffer;
  title?: string;
  /** Where completeUploadExternal shared it; undefined while private. */
  channel?: string;
  threadTs?: string;
  /** The file share message. */
  messageTs?: string;
  initialComment?: string;
  /** Who uploaded it: the bot, unless seeded as someone else's. */
  user: string;
  deleted: boolean;
  /** What files.info says the size is, when it is not the bytes' length (a test of a lying size). */
  declaredSize?: number;
  /** A `url_private_download` other than the fake's own (a test of a hostile files.info). */
  downloadUrl?: string;
  /** The download answers with a redirect there instead of the bytes. */
  redirectTo?: string;
  /** Conversations it is shared in besides `channel` (files.info `channels`). */
  alsoSharedIn?: string[];
}

const integerArg = (value: unknown): number | undefined => {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isInteger(n) ? n : undefined;
};

const getUploadURLExternal: Method = (state, args) => {
  if (typeof args.filename !== 'string' || args.filename.trim() === '') {
    return fail({ error: 'invalid_arguments', detail: 'missing required field: filename' });
  }
  if (args.length === undefined || args.length === '') {
    return fail({ error: 'invalid_arguments', detail: 'missing required field: length' });
  }
  const length = integerArg(args.length);
  if (length === undefined || length < 0) {
    return fail({ error: 'invalid_arguments', detail: 'length must be a whole number of bytes' });
  }
  // Slack: "Typically only occurs when the `length` provided is 0."
  if (length === 0) return fail('missing_argument');
  const altText = args.alt_txt ?? args.alt_text;
  if (typeof altText === 'string' && altText.length > MAX_ALT_TEXT_CHARS) return fail('alt_txt_too_large');
  if (length > state.fileSizeLimit) return fail('file_upload_size_restricted');
  if (args.snippet_type && length > MAX_SNIPPET_BYTES) return fail('snippet_too_large');
  const id = state.nextFileId();
  state.files.set(id, { id, name: args.filename, length, user: state.actor.botUserId, deleted: false });
  return ok({ upload_url: `${state.origin}/upload/v1/${id}`, file_id: id });
};

/** `files` arrives as a JSON string (form-encoded) or an array (JSON body). */
function readFilesArg(value: unknown): { id: string; title?: string }[] | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const entries: { id: string; title?: string }[] = [];
  for (const entry of parsed) {
    if (typeof entry !== 'object' || entry === null || typeof entry.id !== 'string') return undefined;
    entries.push(typeof entry.title === 'string' ? { id: entry.id, title: entry.title } : { id: entry.id });
  }
  return entries;
}

const completeUploadExternal: Method = (state, args) => {
  const entries = readFilesArg(args.files);
  if (!entries) {
    return fail({ error: 'invalid_arguments', detail: 'files must be a non-empty array of {id, title}' });
  }
  const files: FakeFile[] = [];
  for (const entry of entries) {
    const file = state.files.get(entry.id);
    // A file whose bytes never reached the upload URL is not complete-able either.
    if (!file || file.deleted || file.bytes === undefined || file.messageTs !== undefined) {
      return fail('file_not_found');
    }
    files.push(file);
  }
  const channel = args.channel_id ?? args.channels;
  if (args.thread_ts && !channel) {
    return fail({ error: 'invalid_arguments', detail: 'thread_ts needs channel_id' });
  }
  if (channel !== undefined) {
    const denied = state.access(channel);
    if (denied) return fail(denied);
  }
  const comment = typeof args.initial_comment === 'string' ? args.initial_comment : undefined;
  if (comment !== undefined && comment.length > MAX_INITIAL_COMMENT_CHARS) return fail('msg_too_long');
  for (const [i, file] of files.entries()) {
    const title = entries[i]?.title;
    if (title !== undefined) file.title = title;
  }
  if (channel !== undefined) shareFiles(state, files, String(channel), args.thread_ts, comment);
  return ok({ files: files.map((f) => fileObject(f, state.origin)) });
};

/** Posts the file share message (initial comment + the files) where the files were shared. */
function shareFiles(
  state: SlackState,
  files: FakeFile[],
  channel: string,
  threadTs: unknown,
  comment: string | undefined,
): void {
  const message = state.store({
    ...state.botMessage(channel, { thread_ts: threadTs }),
    text: comment ?? '',
    files: files.map((f) => fileObject(f)),
    upload: true,
  });
  for (const file of files) {
    file.channel = channel;
    file.messageTs = message.ts;
    if (message.thread_ts) file.threadTs = message.thread_ts;
    if (comment !== undefined) file.initialComment = comment;
  }
}

const deleteFile: Method = (state, args) => {
  if (typeof args.file !== 'string' || args.file === '') {
    return fail({ error: 'invalid_arguments', detail: 'missing required field: file' });
  }
  const file = state.files.get(args.file);
  if (!file) return fail('file_not_found');
  if (file.deleted) return fail('file_deleted');
  if (file.user !== state.actor.botUserId) return fail('cant_delete_file');
  file.deleted = true;
  // As in Slack: the share message stays, the file in it becomes a tombstone.
  const message = file.channel && file.messageTs ? state.find(file.channel, file.messageTs) : undefined;
  if (message?.files) {
    message.files = message.files.map((f: { id: string }) =>
      f.id === file.id ? { id: file.id, mode: 'tombstone' } : f,
    );
  }
  return ok();
};

const MIME_TYPES: Record<string, string> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  parquet: 'application/octet-stream',
  sql: 'text/plain',
  png: 'image/png',
};

/** Where the fake serves a file's bytes, as Slack's `files-pri/<team>-<file>/download/<name>`. */
export function filePath(file: FakeFile, download: boolean): string {
  return `/files-pri/${FAKE_TEAM_ID}-${file.id}/${download ? 'download/' : ''}${encodeURIComponent(file.name)}`;
}

/**
 * A file object as Slack returns it (api.slack.com/types/file): id, name, title, mimetype, filetype,
 * size, the private URLs on Slack's file host (here the fake's origin), and where it is shared
 * (`channels` / `groups` / `ims` by conversation type, and `shares.public|private` with the message ts).
 */
export function fileObject(file: FakeFile, origin = ''): Record<string, unknown> {
  const extension = /\.([A-Za-z0-9]+)$/.exec(file.name)?.[1]?.toLowerCase() ?? 'text';
  const sharedIn = [...(file.channel ? [file.channel] : []), ...(file.alsoSharedIn ?? [])];
  const kind = (id: string) => (id.startsWith('D') ? 'ims' : id.startsWith('G') ? 'groups' : 'channels');
  const shares: Record<string, Record<string, unknown[]>> = {};
  for (const id of sharedIn) {
    const visibility = id.startsWith('C') ? 'public' : 'private';
    shares[visibility] ??= {};
    (shares[visibility] as Record<string, unknown[]>)[id] = [
      {
        ts: file.messageTs ?? '',
        ...(file.threadTs ? { thread_ts: file.threadTs } : {}),
        team_id: FAKE_TEAM_ID,
      },
    ];
  }
  return {
    id: file.id,
    created: 1_700_000_000,
    timestamp: 1_700_000_000,
    name: file.name,
    title: file.title ?? file.name,
    mimetype: MIME_TYPES[extension] ?? 'text/plain',
    filetype: extension,
    pretty_type: extension.toUpperCase(),
    user: file.user,
    size: file.declaredSize ?? file.bytes?.length ?? file.length,
    mode: 'hosted',
    is_external: false,
    is_public: sharedIn.some((id) => id.startsWith('C')),
    ...(origin
      ? {
          url_private: `${origin}${filePath(file, false)}`,
          url_private_download: file.downloadUrl ?? `${origin}${filePath(file, true)}`,
        }
      : {}),
    channels: sharedIn.filter((id) => kind(id) === 'channels'),
    groups: sharedIn.filter((id) => kind(id) === 'groups'),
    ims: sharedIn.filter((id) => kind(id) === 'ims'),
    shares,
  };
}

/** files.info (files:read): the file object; `file_not_found` for an unknown id, `file_deleted` once deleted. */
const fileInfo: Method = (state, args) => {
  if (typeof args.file !== 'string' || args.file === '') {
    return fail({ error: 'invalid_arguments', detail: 'missing required field: file' });
  }
  const file = state.files.get(args.file);
  if (!file) return fail('file_not_found');
  if (file.deleted) return fail('file_deleted');
  return ok({ file: fileObject(file, state.origin), comments: [], response_metadata: { next_cursor: '' } });
};

export const fileMethods: Record<string, Method> = {
  'files.getUploadURLExternal': getUploadURLExternal,
  'files.completeUploadExternal': completeUploadExternal,
  'files.delete': deleteFile,
  'files.info': fileInfo,
};
