import type { FakeSocketMode } from '../fake-socket-mode/index.js';

/** The fake Slack's public types: what tests record, seed and script. */

export const FAKE_TEAM_ID = 'T0FAKE001';
export const FAKE_BOT_USER_ID = 'U0BOT0001';
export const FAKE_BOT_ID = 'B0BOT0001';

// biome-ignore lint/suspicious/noExplicitAny: arguments and bodies are whatever the client sent.
export type Json = any;

export interface RecordedCall {
  method: string;
  args: Record<string, Json>;
  token?: string;
  /** `performance.now()` when the request arrived. */
  at: number;
  response: Json;
  httpStatus: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  /** For markdown and streamed messages: all the visible markdown, concatenated. */
  markdown_text?: string;
  blocks?: Json[];
  attachments?: Json[];
  /** Every stream chunk received for this message, in order (markdown_text, task_update, …). */
  chunks?: Json[];
  streaming_state?: 'in_progress' | 'completed';
  /** chat.startStream's task_display_mode, when given. */
  task_display_mode?: string;
  metadata?: Json;
  /** A file share (files.completeUploadExternal): its files, a deleted one as `{ id, mode: 'tombstone' }`. */
  files?: Json[];
  upload?: boolean;
  edits: number;
}

/** A file uploaded through the external upload flow, as tests read it back. */
export interface UploadedFile {
  id: string;
  name: string;
  title: string;
  /** The bytes that arrived at the upload URL. */
  bytes: Buffer;
  channel: string;
  threadTs?: string;
  /** The file share message's ts. */
  messageTs: string;
  initialComment?: string;
  deleted: boolean;
}

export interface SlackUser {
  id: string;
  name: string;
  real_name: string;
  is_admin: boolean;
  is_owner: boolean;
  is_bot: boolean;
  deleted: boolean;
  tz: string;
  profile: { display_name: string; real_name?: string; email?: string };
  /** The user's home workspace; another one for a Slack Connect user (default: the fake's team). */
  team_id?: string;
  /** Guests: multi-channel (restricted) and single-channel (ultra restricted). */
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  /** A Slack Connect user this workspace shares no channel with in its own directory. */
  is_stranger?: boolean;
  /** Enterprise Grid: the organisation and the workspaces of it this user belongs to (users.info). */
  enterprise_user?: {
    id: string;
    enterprise_id: string;
    enterprise_name: string;
    is_admin: boolean;
    is_owner: boolean;
    teams: string[];
  };
}

/**
 * A scripted failure. `{ status: 500, afterLanding: true }` carries the call out (a post lands) and
 * then answers 500, as a gateway timing out behind Slack does: the caller cannot tell it landed.
 */
export type Failure =
  | { error: string }
  | { status: 429; retryAfter: number }
  | { status: 500; afterLanding?: boolean };

export interface FakeSlack {
  /** Socket Mode: the WebSocket side `apps.connections.open` points the app to. */
  socketMode: FakeSocketMode;
  /** e.g. `http://127.0.0.1:PORT/api/` (trailing slash) — pass as SLACK_API_URL. */
  apiUrl: string;
  calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  messages: FakeMessage[];
  ephemerals: { channel: string; user: string; text?: string; blocks?: unknown[]; thread_ts?: string }[];
  threadMessages(channel: string, threadTs: string): FakeMessage[];
  responseUrl(): string;
  responses: { url: string; body: Json; at: number }[];
  statuses: { channel_id: string; thread_ts: string; status: string; at: number }[];
  /**
   * Files shared into a thread (or anywhere in the channel without threadTs), oldest first, with their
   * bytes; deleted ones only with `includeDeleted`.
   */
  filesIn(channel: string, threadTs?: string, options?: { includeDeleted?: boolean }): UploadedFile[];
  /** Lowers the largest file files.getUploadURLExternal accepts (`file_upload_size_restricted` above). */
  setFileSizeLimit(bytes: number): void;
  /**
   * A file someone else uploaded into a thread (the bot may not delete it: `cant_delete_file`); with
   * `botId`, another app's bot uploaded it (its share message carries that bot_id).
   */
  seedFile(file: SeededFile): string;
  /**
   * Someone shares a file in a channel or thread (as Slack's file_share message): stored, served at its
   * `url_private_download` with the bot token only, and returned with the `message` event (subtype
   * `file_share`, the full file object in `files`) that Slack sends for it.
   */
  shareFile(file: SeededFile): { fileId: string; event: Record<string, unknown> };
  /** Every request for a file's bytes, with the Authorization header it carried. */
  readonly fileDownloads: { path: string; authorization: string | undefined; status: number }[];
  /** The Home tab last published for each user (views.publish). */
  homeViews: Map<string, { type: string; blocks: unknown[] }>;
  addUser(user: Partial<SlackUser> & { id: string }): void;
  /**
   * `members`: the people in the conversation (conversations.members). Without it, every known user is a
   * member, as in a public channel everyone joined. The bot is a member whenever `member` is true.
   * `sharing`: a Slack Connect channel (`external`: is_shared + is_ext_shared; `pending`: an invitation
   * to another organisation not yet accepted) or one shared between workspaces of the bot's own
   * Enterprise Grid organisation (`org`: is_shared + is_org_shared), as conversations.info reports them.
   */
  addChannel(
    id: string,
    opts: {
      member?: boolean;
      private?: boolean;
      name?: string;
      members?: string[];
      sharing?: 'external' | 'pending' | 'org';
      /** The workspace that owns it (several workspaces): other workspaces' tokens get channel_not_found. */
      team?: string;
    },
  ): void;
  /** Several workspaces, one app installed in each (OAuth v2 codes, per-workspace tokens). */
  readonly workspaces: import('./workspaces.js').FakeWorkspaces;
  /** A user group (subteam) and its members, for usergroups.users.list. */
  addUserGroup(id: string, users: string[]): void;
  seedMessage(m: {
    channel: string;
    ts?: string;
    thread_ts?: string;
    user?: string;
    text: string;
    /** Another app's bot posted it. */
    bot_id?: string;
    metadata?: Json;
  }): FakeMessage;
  /** Fails the next `times` calls to `method` (only calls whose arguments pass `when`, if given). */
  failNext(method: string, failure: Failure, times?: number, when?: CallFilter): void;
  /**
   * Holds the next call to `method` (whose arguments pass `when`, if given) until the returned function
   * is called (to widen race windows).
   */
  holdNext(method: string, when?: CallFilter): () => void;
  /** From now on, answer this share of API calls (all but auth.test) with 429 and Retry-After: 1. */
  injectRateLimits(rate: number, random: () => number): void;
  refuseStreaming(error?: string): void;
  /**
   * From now on, stream calls carrying task_update or plan_update chunks fail with `error`
   * (`invalid_chunks`, as a Slack without agent progress answers an unknown chunk type); text still streams.
   */
  refuseProgressChunks(error?: string): void;
  expireStreamsAfterAppends(n: number): void;
  /**
   * The reader presses Slack's own stop control on a streaming message: the message stays as it is
   * and later appends to it fail with `stopped_by_user` (chat.appendStream's documented error).
   */
  stopStreamAsUser(channel: string, ts: string): void;
  reset(): void;
  close(): Promise<void>;
}

/** Arguments of a Web API call, as the client sent them (token removed). */
export type Args = Record<string, Json>;
/** Picks the calls a scripted failure or hold applies to, by their arguments. */
export type CallFilter = (args: Args) => boolean;

/** A file someone shares (see FakeSlack.shareFile); the optional fields make it misbehave for tests. */
export interface SeededFile {
  channel: string;
  threadTs?: string;
  name: string;
  bytes: Buffer;
  user: string;
  title?: string;
  botId?: string;
  /** The message's text (a mention with files). */
  text?: string;
  /** files.info's `size` when it is not the bytes' length (a 200 MB file never served, a lying size). */
  declaredSize?: number;
  /** files.info's `url_private_download` when it is not the fake's own (an attacker's host). */
  downloadUrl?: string;
  /** The download redirects there instead of serving the bytes. */
  redirectTo?: string;
}
