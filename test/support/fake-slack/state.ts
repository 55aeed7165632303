import type { FakeFile } from './methods/files.js';
import {
  type Args,
  FAKE_BOT_ID,
  FAKE_BOT_USER_ID,
  type FakeMessage,
  type FakeSlack,
  type SlackUser,
} from './types.js';
import { type Body, byTs, compact, keyOf, microsToTs, tsToMicros } from './wire.js';

/** The workspace the fake Slack holds: channels, messages, users, user groups and live streams. */

export interface Channel {
  id: string;
  name: string;
  member: boolean;
  private: boolean;
  members?: string[];
  sharing?: 'external' | 'pending' | 'org';
}

/** A streamed message: how many appends it had and how much markdown it holds. */
export interface Stream {
  appends: number;
  markdownChars: number;
  stoppedByUser?: boolean;
}

export type ChannelOptions = Parameters<FakeSlack['addChannel']>[1];
export type SeededMessage = Parameters<FakeSlack['seedMessage']>[0];
type NewMessage = Omit<FakeMessage, 'ts' | 'edits'>;
/** A Web API method: its answer to one authenticated call. */
export type Method = (state: SlackState, args: Args) => Body;

/** users.conversations `types`: what kind of conversation a channel is. */
export function conversationType(channel: Channel): 'public_channel' | 'private_channel' | 'im' {
  if (channel.id.startsWith('D')) return 'im';
  return channel.private ? 'private_channel' : 'public_channel';
}

/** The kind flags of a conversation object (conversations.info, users.conversations). */
export function kindFlags(channel: Channel): { is_channel: boolean; is_group: boolean; is_im: boolean } {
  const type = conversationType(channel);
  return {
    is_channel: type === 'public_channel',
    is_group: type === 'private_channel',
    is_im: type === 'im',
  };
}

function defaultUser(id: string): SlackUser {
  const name = id.toLowerCase();
  return {
    id,
    name,
    real_name: `User ${id}`,
    is_admin: false,
    is_owner: false,
    is_bot: false,
    deleted: false,
    tz: 'UTC',
    profile: { display_name: name },
  };
}

export const BOT_USER: SlackUser = {
  ...defaultUser(FAKE_BOT_USER_ID),
  name: 'data-engineer',
  real_name: 'Data Engineer',
  is_bot: true,
  profile: { display_name: 'data-engineer' },
};

/** The first minted ts is 1700000000.000100; each next one is 100 µs later. */
const FIRST_TS_MICROS = 1_700_000_000_000_000;

export class SlackState {
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: FakeSlack['ephemerals'] = [];
  readonly responses: FakeSlack['responses'] = [];
  readonly statuses: FakeSlack['statuses'] = [];
  readonly homeViews: FakeSlack['homeViews'] = new Map();
  /** views.open: trigger_ids already exchanged for a view (each works once). */
  readonly usedTriggers = new Set<string>();
  readonly streams = new Map<string, Stream>();
  readonly channels = new Map<string, Channel>();
  readonly users = new Map<string, SlackUser>([[BOT_USER.id, BOT_USER]]);
  readonly userGroups = new Map<string, string[]>();
  /** Uploaded files by id (files.getUploadURLExternal creates them; the bytes arrive at the upload URL). */
  readonly files = new Map<string, FakeFile>();
  /** setFileSizeLimit: a team's upload cap (Slack's own is 1 GB). */
  fileSizeLimit = 1024 ** 3;
  /** e.g. http://127.0.0.1:PORT: upload URLs point here. */
  origin = '';
  private lastFileId = 0;
  /** refuseStreaming: the error chat.startStream answers with. */
  streamingRefusal: string | undefined;
  /** refuseProgressChunks: the error a stream call with task or plan chunks answers with. */
  progressChunkRefusal: string | undefined;
  /** expireStreamsAfterAppends: how many appends a stream takes before Slack ends it. */
  streamExpiry: number | undefined;
  /** The bot acting in the current call (the calling token's workspace's bot; see workspaces.ts). */
  actor = { botUserId: FAKE_BOT_USER_ID, botId: FAKE_BOT_ID };
  private lastTsMicros = FIRST_TS_MICROS;
  private readonly byKey = new Map<string, FakeMessage>();

  threadMessages(channel: string, threadTs: string): FakeMessage[] {
    return this.messages
      .filter((m) => m.channel === channel && (m.ts === threadTs || m.thread_ts === threadTs))
      .sort(byTs);
  }

  addUser(user: Partial<SlackUser> & { id: string }): void {
    const base = defaultUser(user.id);
    this.users.set(user.id, { ...base, ...user, profile: { ...base.profile, ...user.profile } });
  }

  addChannel(id: string, opts: ChannelOptions): void {
    this.channels.set(id, {
      id,
      name: opts.name ?? `channel-${id.toLowerCase()}`,
      member: opts.member ?? true,
      private: opts.private ?? /^[GD]/.test(id),
      ...(opts.members ? { members: opts.members } : {}),
      ...(opts.sharing ? { sharing: opts.sharing } : {}),
    });
  }

  addUserGroup(id: string, users: string[]): void {
    this.userGroups.set(id, [...users]);
  }

  seedMessage(m: SeededMessage): FakeMessage {
    if (m.ts && this.byKey.has(keyOf(m.channel, m.ts)))
      throw new Error(`seedMessage: ${m.ts} already exists`);
    return this.store({ ...m, user: m.user ?? 'U0HUMAN01' }, m.ts);
  }

  stopStreamAsUser(channel: string, ts: string): void {
    const stream = this.streams.get(keyOf(channel, ts));
    const message = this.find(channel, ts);
    if (!stream || !message) throw new Error(`no stream ${channel}/${ts}`);
    stream.stoppedByUser = true;
    message.streaming_state = 'completed';
  }

  reset(): void {
    // Arrays are emptied in place so references a test already holds stay live.
    for (const list of [this.messages, this.ephemerals, this.responses, this.statuses]) list.length = 0;
    for (const map of [this.byKey, this.streams, this.channels, this.userGroups, this.homeViews, this.files])
      map.clear();
    this.fileSizeLimit = 1024 ** 3;
    this.usedTriggers.clear();
    this.users.clear();
    this.users.set(BOT_USER.id, BOT_USER);
    this.streamingRefusal = undefined;
    this.progressChunkRefusal = undefined;
    this.streamExpiry = undefined;
  }

  /** Channel as the bot sees it. Unknown ids are public channels the bot is in, except DMs it was never in. */
  channel(id: unknown): Channel | undefined {
    if (typeof id !== 'string' || id === '') return undefined;
    const known = this.channels.get(id);
    if (known) return known;
    if (id.startsWith('D')) return undefined;
    return { id, name: `channel-${id.toLowerCase()}`, member: true, private: id.startsWith('G') };
  }

  /** A channel the bot may see: Slack hides private channels it is not in (`channel_not_found`). */
  visibleChannel(id: unknown): Channel | undefined {
    const channel = this.channel(id);
    return !channel || (channel.private && !channel.member) ? undefined : channel;
  }

  /** Whether the bot may read/write in a channel: the error Slack answers when it may not. */
  access(id: unknown): string | undefined {
    const channel = this.visibleChannel(id);
    if (!channel) return 'channel_not_found';
    return channel.member ? undefined : 'not_in_channel';
  }

  /** File ids as Slack's: `F` and ten more characters. */
  nextFileId(): string {
    this.lastFileId += 1;
    return `F0FILE${String(this.lastFileId).padStart(5, '0')}`;
  }

  /** The files shared into a thread (or, without threadTs, anywhere in the channel), oldest first. */
  sharedFiles(channel: string, threadTs?: string): FakeFile[] {
    return [...this.files.values()].filter(
      (f) => f.channel === channel && (threadTs === undefined || f.threadTs === threadTs),
    );
  }

  nextTs(): string {
    this.lastTsMicros += 100;
    return microsToTs(this.lastTsMicros);
  }

  find(channel: unknown, ts: unknown): FakeMessage | undefined {
    return this.byKey.get(keyOf(String(channel), String(ts)));
  }

  /** The message at `args.channel`/`args.ts`, or the error Slack answers (access first, then `missing`). */
  findIn(args: Args, missing: string): FakeMessage | string {
    return this.access(args.channel) ?? this.find(args.channel, args.ts) ?? missing;
  }

  /** Replies to a reply land in the parent's thread, as in Slack. */
  threadRoot(channel: string, threadTs: unknown): string | undefined {
    if (typeof threadTs !== 'string' || threadTs === '') return undefined;
    return this.find(channel, threadTs)?.thread_ts ?? threadTs;
  }

  store(fields: NewMessage, ts?: string): FakeMessage {
    if (ts) this.lastTsMicros = Math.max(this.lastTsMicros, tsToMicros(ts));
    const message = compact<FakeMessage>({ ...fields, ts: ts ?? this.nextTs(), edits: 0 });
    this.messages.push(message);
    this.byKey.set(keyOf(message.channel, message.ts), message);
    return message;
  }

  remove(message: FakeMessage): void {
    this.byKey.delete(keyOf(message.channel, message.ts));
    this.streams.delete(keyOf(message.channel, message.ts));
    this.messages.splice(this.messages.indexOf(message), 1);
  }

  /** The fields every message the bot posts carries. */
  botMessage(channel: string, args: Args): NewMessage {
    return {
      channel,
      thread_ts: this.threadRoot(channel, args.thread_ts),
      user: this.actor.botUserId,
      bot_id: this.actor.botId,
      metadata: args.metadata,
    };
  }

  /** The bot's own message at `args.channel`/`args.ts`, or the error Slack answers. */
  ownMessage(args: Args, notOwn: string): FakeMessage | string {
    const message = this.findIn(args, 'message_not_found');
    if (typeof message === 'string') return message;
    return message.bot_id === this.actor.botId ? message : notOwn;
  }
}
