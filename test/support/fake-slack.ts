import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type ChunkContent,
  checkBlocks,
  checkMarkdownText,
  checkMessage,
  isRejection,
  LIMITS,
  type Rejection,
  readChunks,
} from './fake-slack-rules.js';

/**
 * A local fake of the Slack Web API for end-to-end tests and benchmarks: a real HTTP server on
 * 127.0.0.1 that the real `@slack/web-api` WebClient (or Bolt) talks to through `slackApiUrl: fake.apiUrl`.
 *
 * - `POST /api/<method>`: form-encoded or JSON, token from `Authorization: Bearer` or the `token` field.
 *   Answers like Slack: HTTP 200 with `{ok:true,…}` / `{ok:false,error}`, 429 + `Retry-After` when rate
 *   limited, and scripted 500s. Every call is recorded in `calls`, including rejected ones.
 * - `POST /response/<id>`: response_url endpoints minted by `responseUrl()` (5 uses / 30 minutes).
 * - The limits it enforces live in fake-slack-rules.ts.
 */

export const FAKE_TEAM_ID = 'T0FAKE001';
export const FAKE_BOT_USER_ID = 'U0BOT0001';
export const FAKE_BOT_ID = 'B0BOT0001';

// biome-ignore lint/suspicious/noExplicitAny: arguments and bodies are whatever the client sent.
type Json = any;

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
  metadata?: Json;
  edits: number;
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
  /** The Home tab last published for each user (views.publish). */
  homeViews: Map<string, { type: string; blocks: unknown[] }>;
  addUser(user: Partial<SlackUser> & { id: string }): void;
  /**
   * `members`: the people in the conversation (conversations.members). Without it, every known user is a
   * member, as in a public channel everyone joined. The bot is a member whenever `member` is true.
   */
  addChannel(
    id: string,
    opts: { member?: boolean; private?: boolean; name?: string; members?: string[] },
  ): void;
  /** A user group (subteam) and its members, for usergroups.users.list. */
  addUserGroup(id: string, users: string[]): void;
  seedMessage(m: {
    channel: string;
    ts?: string;
    thread_ts?: string;
    user?: string;
    text: string;
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
  expireStreamsAfterAppends(n: number): void;
  /**
   * The reader presses Slack's own stop control on a streaming message: the message stays as it is
   * and later appends to it fail with `stopped_by_user` (chat.appendStream's documented error).
   */
  stopStreamAsUser(channel: string, ts: string): void;
  reset(): void;
  close(): Promise<void>;
}

type Args = Record<string, Json>;
/** Picks the calls a scripted failure or hold applies to, by their arguments. */
export type CallFilter = (args: Args) => boolean;
type Body = Record<string, Json>;
/** What the server writes back: Slack's HTTP status, JSON body and (for 429) headers. */
interface Reply {
  status: number;
  body: Body;
  headers?: Record<string, string>;
}

interface Channel {
  id: string;
  name: string;
  member: boolean;
  private: boolean;
  members?: string[];
}

/** users.conversations `types`: what kind of conversation a channel is. */
function conversationType(channel: Channel): 'public_channel' | 'private_channel' | 'im' {
  if (channel.id.startsWith('D')) return 'im';
  return channel.private ? 'private_channel' : 'public_channel';
}

const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** Form-encoded clients (the WebClient) send nested values as JSON strings. */
const JSON_FIELDS = ['blocks', 'attachments', 'chunks', 'metadata', 'loading_messages', 'view'];
/** The first minted ts is 1700000000.000100; each next one is 100 µs later. */
const FIRST_TS_MICROS = 1_700_000_000_000_000;

const ok = (data: Body = {}): Body => ({ ok: true, ...data });
function fail(rejection: Rejection | string): Body {
  const { error, detail } =
    typeof rejection === 'string' ? { error: rejection, detail: undefined } : rejection;
  return detail
    ? { ok: false, error, response_metadata: { messages: [`[ERROR] ${detail}`] } }
    : { ok: false, error };
}

const tsToMicros = (ts: string) => {
  const [seconds = '0', fraction = ''] = ts.split('.');
  return Number(seconds) * 1e6 + Number(fraction.padEnd(6, '0').slice(0, 6));
};
const microsToTs = (micros: number) => `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
const byTs = (a: FakeMessage, b: FakeMessage) => tsToMicros(a.ts) - tsToMicros(b.ts);
const keyOf = (channel: string, ts: string) => `${channel}/${ts}`;

/** Drops undefined keys so recorded state compares cleanly with toEqual. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function dropUndefined(value: object): void {
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
}

/** A message as Slack's Web API returns it (chat.postMessage `message`, conversations.replies). */
function wireMessage(m: FakeMessage, replyCount = 0): Body {
  return compact({
    type: 'message',
    user: m.user,
    bot_id: m.bot_id,
    text: m.text ?? m.markdown_text ?? '',
    blocks: m.blocks,
    ts: m.ts,
    thread_ts: m.thread_ts ?? (replyCount > 0 ? m.ts : undefined),
    reply_count: replyCount > 0 ? replyCount : undefined,
    metadata: m.metadata,
    streaming_state: m.streaming_state,
    team: FAKE_TEAM_ID,
  });
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

const BOT_USER: SlackUser = {
  ...defaultUser(FAKE_BOT_USER_ID),
  name: 'data-engineer',
  real_name: 'Data Engineer',
  is_bot: true,
  profile: { display_name: 'data-engineer' },
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: Body, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Parses a Web API request body; returns undefined when a JSON body does not parse. */
function parseArgs(raw: string, contentType: string, query: URLSearchParams): Args | undefined {
  const args: Args = Object.fromEntries(query);
  if (contentType.startsWith('application/json')) {
    try {
      Object.assign(args, raw ? JSON.parse(raw) : {});
    } catch {
      return undefined;
    }
  } else {
    Object.assign(args, Object.fromEntries(new URLSearchParams(raw)));
  }
  for (const field of JSON_FIELDS) {
    if (typeof args[field] !== 'string') continue;
    try {
      args[field] = JSON.parse(args[field]);
    } catch {
      // Left as a string: the rules then reject it the way Slack rejects malformed blocks/chunks.
    }
  }
  return args;
}

class FakeSlackServer implements FakeSlack {
  apiUrl = '';
  readonly calls: RecordedCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: FakeSlack['ephemerals'] = [];
  readonly responses: FakeSlack['responses'] = [];
  readonly statuses: FakeSlack['statuses'] = [];
  readonly homeViews: FakeSlack['homeViews'] = new Map();

  private origin = '';
  private readonly server: Server;
  private lastTsMicros = FIRST_TS_MICROS;
  private readonly byKey = new Map<string, FakeMessage>();
  /** Streamed messages: how many appends they had and how much markdown they hold. */
  private readonly streams = new Map<
    string,
    { appends: number; markdownChars: number; stoppedByUser?: boolean }
  >();
  private readonly channels = new Map<string, Channel>();
  private readonly users = new Map<string, SlackUser>([[BOT_USER.id, BOT_USER]]);
  private readonly userGroups = new Map<string, string[]>();
  private readonly failures = new Map<string, { failure: Failure; when?: CallFilter }[]>();
  private readonly holds = new Map<string, { gate: Promise<void>; when?: CallFilter }>();
  private rateLimits: { rate: number; random: () => number } | undefined;
  private readonly responseUrls = new Map<string, { uses: number; createdAt: number }>();
  /** chat.postMessage: when each channel last accepted a post (only with rateLimitPerChannelPerSecond). */
  private readonly lastPostAt = new Map<string, number>();
  private streamingRefusal: string | undefined;
  private streamExpiry: number | undefined;

  /** The Web API methods this fake speaks. Anything else is `unknown_method`. */
  private readonly methods: Record<string, (args: Args) => Body> = {
    'auth.test': () =>
      ok({
        url: 'https://fake-workspace.slack.com/',
        team: 'Fake Workspace',
        user: BOT_USER.name,
        team_id: FAKE_TEAM_ID,
        user_id: FAKE_BOT_USER_ID,
        bot_id: FAKE_BOT_ID,
        is_enterprise_install: false,
      }),
    'chat.postMessage': (args) => this.postMessage(args),
    'chat.update': (args) => this.update(args),
    'chat.delete': (args) => this.deleteMessage(args),
    'chat.postEphemeral': (args) => this.postEphemeral(args),
    'chat.getPermalink': (args) => this.getPermalink(args),
    'chat.startStream': (args) => this.startStream(args),
    'chat.appendStream': (args) => this.appendStream(args),
    'chat.stopStream': (args) => this.stopStream(args),
    'conversations.replies': (args) => this.replies(args),
    'conversations.history': (args) => this.history(args),
    'conversations.info': (args) => this.conversationInfo(args),
    'users.info': (args) => this.userInfo(args),
    'usergroups.users.list': (args) => this.userGroupUsers(args),
    'conversations.members': (args) => this.conversationMembers(args),
    'users.conversations': (args) => this.userConversations(args),
    'assistant.threads.setStatus': (args) => this.setStatus(args),
    'views.publish': (args) => this.publishView(args),
  };

  constructor(private readonly options: { rateLimitPerChannelPerSecond?: boolean }) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { ok: false, error: `fake_slack_bug: ${String(error)}` });
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.origin}/api/`;
  }

  // ---- test-facing helpers -------------------------------------------------------------------

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  threadMessages(channel: string, threadTs: string): FakeMessage[] {
    return this.messages
      .filter((m) => m.channel === channel && (m.ts === threadTs || m.thread_ts === threadTs))
      .sort(byTs);
  }

  responseUrl(): string {
    const id = `${this.responseUrls.size + 1}-${randomBytes(6).toString('hex')}`;
    this.responseUrls.set(id, { uses: 0, createdAt: Date.now() });
    return `${this.origin}/response/${id}`;
  }

  addUser(user: Partial<SlackUser> & { id: string }): void {
    const base = defaultUser(user.id);
    this.users.set(user.id, { ...base, ...user, profile: { ...base.profile, ...user.profile } });
  }

  addChannel(
    id: string,
    opts: { member?: boolean; private?: boolean; name?: string; members?: string[] },
  ): void {
    this.channels.set(id, {
      id,
      name: opts.name ?? `channel-${id.toLowerCase()}`,
      member: opts.member ?? true,
      private: opts.private ?? /^[GD]/.test(id),
      ...(opts.members ? { members: opts.members } : {}),
    });
  }

  addUserGroup(id: string, users: string[]): void {
    this.userGroups.set(id, [...users]);
  }

  seedMessage(m: {
    channel: string;
    ts?: string;
    thread_ts?: string;
    user?: string;
    text: string;
  }): FakeMessage {
    if (m.ts && this.byKey.has(keyOf(m.channel, m.ts)))
      throw new Error(`seedMessage: ${m.ts} already exists`);
    return this.store({ ...m, user: m.user ?? 'U0HUMAN01' }, m.ts);
  }

  failNext(method: string, failure: Failure, times = 1, when?: CallFilter): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(when ? { failure, when } : { failure });
    this.failures.set(method, queue);
  }

  injectRateLimits(rate: number, random: () => number): void {
    this.rateLimits = { rate, random };
  }

  holdNext(method: string, when?: CallFilter): () => void {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.set(method, when ? { gate, when } : { gate });
    return release;
  }

  refuseStreaming(error = 'feature_not_enabled'): void {
    this.streamingRefusal = error;
  }

  stopStreamAsUser(channel: string, ts: string): void {
    const stream = this.streams.get(keyOf(channel, ts));
    const message = this.find(channel, ts);
    if (!stream || !message) throw new Error(`no stream ${channel}/${ts}`);
    stream.stoppedByUser = true;
    message.streaming_state = 'completed';
  }

  expireStreamsAfterAppends(n: number): void {
    this.streamExpiry = n;
  }

  reset(): void {
    // Arrays are emptied in place so references a test already holds stay live.
    for (const list of [this.calls, this.messages, this.ephemerals, this.responses, this.statuses])
      list.length = 0;
    for (const map of [
      this.byKey,
      this.streams,
      this.channels,
      this.failures,
      this.holds,
      this.responseUrls,
      this.lastPostAt,
      this.userGroups,
    ]) {
      map.clear();
    }
    this.users.clear();
    this.users.set(BOT_USER.id, BOT_USER);
    this.homeViews.clear();
    this.streamingRefusal = undefined;
    this.streamExpiry = undefined;
    this.rateLimits = undefined;
  }

  async close(): Promise<void> {
    // The WebClient keeps connections alive; close them so the server can stop at once.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const url = new URL(req.url ?? '/', this.origin);
    if (url.pathname.startsWith('/api/')) {
      // Recorded on arrival (args filled in once the body is read), so `calls` is in arrival order.
      const call: RecordedCall = {
        method: url.pathname.slice(5),
        args: {},
        at,
        response: undefined,
        httpStatus: 0,
      };
      this.calls.push(call);
      const raw = await readBody(req);
      // The arguments are visible while a call is held (tests wait for it); api() parses them again.
      const { token: _token, ...early } =
        parseArgs(raw, req.headers['content-type'] ?? '', url.searchParams) ?? {};
      call.args = early;
      const hold = this.holds.get(call.method);
      if (hold && (!hold.when || hold.when(early))) {
        this.holds.delete(call.method);
        await hold.gate;
      }
      const { status, body, headers } = this.api(call, raw, req, url);
      call.response = body;
      call.httpStatus = status;
      send(res, status, body, headers);
      return;
    }
    const raw = await readBody(req);
    if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
      const refused = this.respondToResponseUrl(url, raw, at);
      if (refused) send(res, refused.status, refused.body);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    send(res, 404, { ok: false, error: 'not_found' });
  }

  private api(call: RecordedCall, raw: string, req: IncomingMessage, url: URL): Reply {
    const args = parseArgs(raw, req.headers['content-type'] ?? '', url.searchParams);
    if (!args) return { status: 200, body: fail('invalid_json') };
    const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
    delete args.token;
    call.args = args;
    call.token = token;

    const queue = this.failures.get(call.method) ?? [];
    const next = queue.findIndex((f) => !f.when || f.when(args));
    const scripted = next >= 0 ? queue.splice(next, 1)[0]?.failure : undefined;
    if (scripted && 'afterLanding' in scripted && scripted.afterLanding && token)
      this.methods[call.method]?.(args);
    if (scripted) return this.scriptedFailure(scripted);
    if (this.rateLimits && call.method !== 'auth.test' && this.rateLimits.random() < this.rateLimits.rate) {
      return this.scriptedFailure({ status: 429, retryAfter: 1 });
    }
    const handler = this.methods[call.method];
    if (!handler) return { status: 200, body: fail('unknown_method') };
    if (!token) return { status: 200, body: fail('not_authed') };
    if (!token.startsWith('xox')) return { status: 200, body: fail('invalid_auth') };
    if (call.method === 'chat.postMessage' && this.options.rateLimitPerChannelPerSecond) {
      // Slack allows about one message per second per channel; only accepted posts count.
      const last = this.lastPostAt.get(String(args.channel));
      if (last !== undefined && call.at - last < 1000)
        return this.scriptedFailure({ status: 429, retryAfter: 1 });
      const body = handler(args);
      if (body.ok) this.lastPostAt.set(String(args.channel), call.at);
      return { status: 200, body };
    }
    return { status: 200, body: handler(args) };
  }

  private scriptedFailure(failure: Failure): Reply {
    if ('error' in failure) return { status: 200, body: fail(failure.error) };
    if (failure.status === 429) {
      return {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(failure.retryAfter) },
      };
    }
    return { status: 500, body: { ok: false, error: 'internal_error' } };
  }

  /** A POST to a minted response_url: undefined when accepted (Slack answers a plain `ok`), else the refusal. */
  private respondToResponseUrl(url: URL, raw: string, at: number): Reply | undefined {
    const entry = this.responseUrls.get(url.pathname.slice('/response/'.length));
    if (!entry) return { status: 404, body: fail('invalid_url') };
    if (entry.uses >= RESPONSE_URL_MAX_USES || Date.now() - entry.createdAt > RESPONSE_URL_TTL_MS) {
      return { status: 404, body: fail('expired_url') };
    }
    let body: Json;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, body: fail('invalid_payload') };
    }
    const problem = body?.blocks !== undefined ? checkBlocks(body.blocks) : undefined;
    if (problem) return { status: 400, body: fail(problem) };
    entry.uses += 1;
    this.responses.push({ url: `${this.origin}${url.pathname}`, body, at });
    return undefined;
  }

  // ---- state --------------------------------------------------------------------------------

  /** Channel as the bot sees it. Unknown ids are public channels the bot is in, except DMs it was never in. */
  private channel(id: unknown): Channel | undefined {
    if (typeof id !== 'string' || id === '') return undefined;
    const known = this.channels.get(id);
    if (known) return known;
    if (id.startsWith('D')) return undefined;
    return { id, name: `channel-${id.toLowerCase()}`, member: true, private: id.startsWith('G') };
  }

  /** Whether the bot may read/write in a channel: Slack hides private channels it is not in. */
  private access(id: unknown): string | undefined {
    const channel = this.channel(id);
    if (!channel || (channel.private && !channel.member)) return 'channel_not_found';
    return channel.member ? undefined : 'not_in_channel';
  }

  private nextTs(): string {
    this.lastTsMicros += 100;
    return microsToTs(this.lastTsMicros);
  }

  private find(channel: unknown, ts: unknown): FakeMessage | undefined {
    return this.byKey.get(keyOf(String(channel), String(ts)));
  }

  /** Replies to a reply land in the parent's thread, as in Slack. */
  private threadRoot(channel: string, threadTs: unknown): string | undefined {
    if (typeof threadTs !== 'string' || threadTs === '') return undefined;
    return this.find(channel, threadTs)?.thread_ts ?? threadTs;
  }

  private store(fields: Omit<FakeMessage, 'ts' | 'edits'>, ts?: string): FakeMessage {
    if (ts) this.lastTsMicros = Math.max(this.lastTsMicros, tsToMicros(ts));
    const message = compact<FakeMessage>({ ...fields, ts: ts ?? this.nextTs(), edits: 0 });
    this.messages.push(message);
    this.byKey.set(keyOf(message.channel, message.ts), message);
    return message;
  }

  private botMessage(channel: string, args: Args): Omit<FakeMessage, 'ts' | 'edits'> {
    return {
      channel,
      thread_ts: this.threadRoot(channel, args.thread_ts),
      user: FAKE_BOT_USER_ID,
      bot_id: FAKE_BOT_ID,
      metadata: args.metadata,
    };
  }

  // ---- chat.* -------------------------------------------------------------------------------

  private postMessage(args: Args): Body {
    const problem = this.access(args.channel) ?? checkMessage(args, LIMITS.postText);
    if (problem) return fail(problem);
    const message = this.store({
      ...this.botMessage(args.channel, args),
      text: args.text,
      markdown_text: args.markdown_text,
      blocks: args.blocks,
      attachments: args.attachments,
    });
    return ok({ channel: message.channel, ts: message.ts, message: wireMessage(message) });
  }

  private update(args: Args): Body {
    const denied = this.access(args.channel);
    if (denied) return fail(denied);
    const message = this.find(args.channel, args.ts);
    if (!message) return fail('message_not_found');
    if (message.bot_id !== FAKE_BOT_ID) return fail('cant_update_message');
    if (message.streaming_state === 'in_progress') return fail('streaming_state_conflict');
    const problem = checkMessage(args, LIMITS.shortText);
    if (problem) return fail(problem);
    // markdown_text replaces everything; otherwise text is replaced and blocks kept unless given (Slack docs).
    if (args.markdown_text !== undefined) {
      Object.assign(message, { markdown_text: args.markdown_text, text: undefined, blocks: undefined });
    } else {
      message.markdown_text = undefined;
      if (args.text !== undefined) message.text = args.text;
      if (args.blocks !== undefined) message.blocks = args.blocks;
    }
    if (args.metadata !== undefined) message.metadata = args.metadata;
    message.edits += 1;
    dropUndefined(message);
    return ok({
      channel: message.channel,
      ts: message.ts,
      text: message.text ?? '',
      message: wireMessage(message),
    });
  }

  private deleteMessage(args: Args): Body {
    const denied = this.access(args.channel);
    if (denied) return fail(denied);
    const message = this.find(args.channel, args.ts);
    if (!message) return fail('message_not_found');
    if (message.bot_id !== FAKE_BOT_ID) return fail('cant_delete_message');
    this.byKey.delete(keyOf(message.channel, message.ts));
    this.streams.delete(keyOf(message.channel, message.ts));
    this.messages.splice(this.messages.indexOf(message), 1);
    return ok({ channel: message.channel, ts: message.ts });
  }

  private postEphemeral(args: Args): Body {
    const problem =
      this.access(args.channel) ??
      (typeof args.user === 'string' && args.user ? undefined : 'user_not_found') ??
      checkMessage(args, LIMITS.shortText);
    if (problem) return fail(problem);
    this.ephemerals.push(
      compact({
        channel: args.channel,
        user: args.user,
        text: args.text ?? args.markdown_text,
        blocks: args.blocks,
        thread_ts: args.thread_ts,
      }),
    );
    return ok({ message_ts: this.nextTs() });
  }

  private getPermalink(args: Args): Body {
    if (!this.channel(args.channel)) return fail('channel_not_found');
    const message = this.find(args.channel, args.message_ts);
    if (!message) return fail('message_not_found');
    const path = `https://fake-workspace.slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}`;
    const thread = message.thread_ts ? `?thread_ts=${message.thread_ts}&cid=${message.channel}` : '';
    return ok({ channel: message.channel, permalink: path + thread });
  }

  // ---- streaming ----------------------------------------------------------------------------

  /** What a stream call adds: its markdown_text and chunks, within the 12,000-char budget of the message. */
  private streamContent(args: Args, charsSoFar: number): Rejection | ChunkContent {
    const problem = checkMarkdownText(args.markdown_text);
    if (problem) return problem;
    const content = readChunks(args.chunks);
    if (isRejection(content)) return content;
    content.markdown = (args.markdown_text ?? '') + content.markdown;
    const total = charsSoFar + content.markdown.length;
    if (total > LIMITS.markdownText) {
      return {
        error: 'msg_too_long',
        detail: `stream would hold ${total} chars; at most ${LIMITS.markdownText}`,
      };
    }
    return content;
  }

  private startStream(args: Args): Body {
    if (this.streamingRefusal) return fail(this.streamingRefusal);
    const denied = this.access(args.channel);
    if (denied) return fail(denied);
    if (typeof args.thread_ts !== 'string' || !args.thread_ts) {
      return fail({ error: 'invalid_arguments', detail: 'thread_ts is required' });
    }
    // Outside DMs Slack must know whom the stream answers.
    if (/^[CG]/.test(args.channel) && !args.recipient_user_id) return fail('missing_recipient_user_id');
    if (/^[CG]/.test(args.channel) && !args.recipient_team_id) return fail('missing_recipient_team_id');
    const content = this.streamContent(args, 0);
    if (isRejection(content)) return fail(content);
    const message = this.store({
      ...this.botMessage(args.channel, args),
      markdown_text: content.markdown,
      blocks: content.blocks.length > 0 ? content.blocks : undefined,
      chunks: content.chunks,
      streaming_state: this.streamExpiry === 0 ? 'completed' : 'in_progress',
    });
    this.streams.set(keyOf(message.channel, message.ts), {
      appends: 0,
      markdownChars: content.markdown.length,
    });
    return ok({ channel: message.channel, ts: message.ts });
  }

  /** Common part of appendStream and stopStream: find the live stream and add this call's content. */
  private addToStream(args: Args, requireContent: boolean): Rejection | FakeMessage {
    const denied = this.access(args.channel);
    if (denied) return { error: denied };
    const message = this.find(args.channel, args.ts);
    if (!message) return { error: 'message_not_found' };
    const stream = this.streams.get(keyOf(message.channel, message.ts));
    if (stream?.stoppedByUser) return { error: 'stopped_by_user' };
    if (!stream || message.streaming_state !== 'in_progress')
      return { error: 'message_not_in_streaming_state' };
    if (requireContent && !args.markdown_text && !(Array.isArray(args.chunks) && args.chunks.length > 0)) {
      return { error: 'no_text' };
    }
    const content = this.streamContent(args, stream.markdownChars);
    if (isRejection(content)) return content;
    message.markdown_text = (message.markdown_text ?? '') + content.markdown;
    message.chunks = [...(message.chunks ?? []), ...content.chunks];
    if (content.blocks.length > 0) message.blocks = [...(message.blocks ?? []), ...content.blocks];
    stream.markdownChars += content.markdown.length;
    return message;
  }

  private appendStream(args: Args): Body {
    const message = this.addToStream(args, true);
    if (isRejection(message)) return fail(message);
    const stream = this.streams.get(keyOf(message.channel, message.ts));
    if (stream) stream.appends += 1;
    // expireStreamsAfterAppends: Slack can end a stream on its side (timeout); later appends then fail.
    if (stream && this.streamExpiry !== undefined && stream.appends >= this.streamExpiry) {
      message.streaming_state = 'completed';
    }
    return ok({ channel: message.channel, ts: message.ts });
  }

  private stopStream(args: Args): Body {
    const problem = args.blocks !== undefined ? checkBlocks(args.blocks) : undefined;
    if (problem) return fail(problem);
    const message = this.addToStream(args, false);
    if (isRejection(message)) return fail(message);
    if (Array.isArray(args.blocks)) message.blocks = [...(message.blocks ?? []), ...args.blocks];
    if (args.metadata !== undefined) message.metadata = args.metadata;
    message.streaming_state = 'completed';
    return ok({ channel: message.channel, ts: message.ts, message: wireMessage(message) });
  }

  // ---- reading ------------------------------------------------------------------------------

  private replies(args: Args): Body {
    const denied = this.access(args.channel);
    if (denied) return fail(denied);
    const asked = this.find(args.channel, args.ts);
    if (!asked) return fail('thread_not_found');
    const rootTs = asked.thread_ts ?? asked.ts;
    const thread = this.threadMessages(asked.channel, rootTs);
    const replyCount = thread.filter((m) => m.ts !== rootTs).length;
    // As in Slack, message metadata only with include_all_metadata.
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
    // As in Slack: only messages between `oldest` and `latest`, the bounds themselves with `inclusive`.
    const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
    const latest = args.latest ? tsToMicros(String(args.latest)) : undefined;
    const oldest = args.oldest ? tsToMicros(String(args.oldest)) : undefined;
    const inRange = (m: FakeMessage) => {
      const at = tsToMicros(m.ts);
      if (latest !== undefined && (inclusive ? at > latest : at >= latest)) return false;
      return oldest === undefined || (inclusive ? at >= oldest : at > oldest);
    };
    const all = thread.filter(inRange).map((m) => {
      const wire = wireMessage(m, m.ts === rootTs ? replyCount : 0);
      if (!withMetadata) delete wire.metadata;
      return wire;
    });
    const limit = Math.min(Number(args.limit) > 0 ? Number(args.limit) : 1000, 1000);
    const offset = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64url').toString()) || 0 : 0;
    const page = all.slice(offset, offset + limit);
    const hasMore = offset + limit < all.length;
    const nextCursor = hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : '';
    return ok({ messages: page, has_more: hasMore, response_metadata: { next_cursor: nextCursor } });
  }

  /** Top-level messages, newest first; `metadata` only with include_all_metadata, as in Slack. */
  private history(args: Args): Body {
    const denied = this.access(args.channel);
    if (denied) return fail(denied);
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
    const oldest = args.oldest ? Number(args.oldest) : 0;
    const limit = Math.min(Number(args.limit) > 0 ? Number(args.limit) : 100, 999);
    const top = this.messages
      .filter((m) => m.channel === args.channel && (!m.thread_ts || m.thread_ts === m.ts))
      .filter((m) => Number(m.ts) > oldest)
      .sort((a, b) => Number(b.ts) - Number(a.ts))
      .slice(0, limit)
      .map((m) => {
        const wire = wireMessage(m);
        if (!withMetadata) delete wire.metadata;
        return wire;
      });
    return ok({ messages: top, has_more: false });
  }

  private conversationInfo(args: Args): Body {
    const channel = this.channel(args.channel);
    if (!channel || (channel.private && !channel.member)) return fail('channel_not_found');
    const im = channel.id.startsWith('D');
    return ok({
      channel: {
        id: channel.id,
        name: channel.name,
        is_channel: !channel.private && !im,
        is_group: channel.private && !im,
        is_im: im,
        is_private: channel.private,
        is_member: channel.member,
        is_archived: false,
        context_team_id: FAKE_TEAM_ID,
      },
    });
  }

  private userInfo(args: Args): Body {
    const user = this.users.get(String(args.user));
    return user ? ok({ user: { ...user, team_id: user.team_id ?? FAKE_TEAM_ID } }) : fail('user_not_found');
  }

  /** usergroups.users.list: the group's user ids (not paginated in Slack either). */
  private userGroupUsers(args: Args): Body {
    const users = this.userGroups.get(String(args.usergroup));
    return users ? ok({ users: [...users] }) : fail('no_such_subteam');
  }

  /**
   * conversations.members, paginated like Slack: `limit` (default 100, at most 1000) and an opaque
   * `cursor`; the last page has an empty `next_cursor`. The bot sees members only where it may read.
   */
  private conversationMembers(args: Args): Body {
    const channel = this.channel(args.channel);
    if (!channel || (channel.private && !channel.member)) return fail('channel_not_found');
    const everyone = channel.members
      ? [...channel.members, ...(channel.member ? [FAKE_BOT_USER_ID] : [])]
      : [...this.users.keys()];
    const all = [...new Set(everyone)];
    const limit = Math.min(Number(args.limit) > 0 ? Number(args.limit) : 100, 1000);
    const offset = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64url').toString()) || 0 : 0;
    const page = all.slice(offset, offset + limit);
    const nextCursor =
      offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : '';
    return ok({ members: page, response_metadata: { next_cursor: nextCursor } });
  }

  /**
   * users.conversations for `user`, paginated like Slack (`limit` default 100, at most 999; opaque
   * `cursor`, `invalid_cursor` when it is not ours). `types` defaults to public_channel. As with a bot
   * token in Slack, private channels, DMs and group DMs are listed only when the bot is in them too.
   * The conversations are the ones added with addChannel plus any that hold messages.
   */
  private userConversations(args: Args): Body {
    const userId = String(args.user ?? '');
    if (!this.users.has(userId)) return fail('user_not_found');
    const types = new Set(String(args.types || 'public_channel').split(','));
    const ids = new Set([...this.channels.keys(), ...this.messages.map((m) => m.channel)]);
    const listed = [...ids]
      .sort()
      .map((id) => this.channel(id))
      .filter((channel): channel is Channel => channel !== undefined)
      .filter((channel) => types.has(conversationType(channel)))
      .filter((channel) => !channel.private || channel.member)
      .filter((channel) => (channel.members ? channel.members.includes(userId) : true));
    const limit = Math.min(Number(args.limit) > 0 ? Number(args.limit) : 100, 999);
    let offset = 0;
    if (args.cursor) {
      offset = Number(Buffer.from(String(args.cursor), 'base64url').toString());
      if (!Number.isInteger(offset) || offset <= 0) return fail('invalid_cursor');
    }
    const page = listed.slice(offset, offset + limit).map((channel) => ({
      id: channel.id,
      name: channel.name,
      is_channel: conversationType(channel) === 'public_channel',
      is_group: conversationType(channel) === 'private_channel',
      is_im: conversationType(channel) === 'im',
      is_mpim: false,
      is_private: channel.private,
      is_archived: false,
      context_team_id: FAKE_TEAM_ID,
    }));
    const nextCursor =
      offset + limit < listed.length ? Buffer.from(String(offset + limit)).toString('base64url') : '';
    return ok({ channels: page, response_metadata: { next_cursor: nextCursor } });
  }

  /** views.publish: a Home tab of at most 100 valid blocks for a known user. */
  private publishView(args: Args): Body {
    if (typeof args.user_id !== 'string' || !this.users.has(args.user_id)) return fail('user_not_found');
    const view = args.view as { type?: unknown; blocks?: unknown } | undefined;
    if (!view || typeof view !== 'object' || view.type !== 'home') {
      return fail({ error: 'invalid_arguments', detail: 'view.type must be home' });
    }
    if (!Array.isArray(view.blocks) || view.blocks.length > 100) {
      return fail({ error: 'invalid_arguments', detail: 'view.blocks: at most 100 blocks' });
    }
    const problem = checkBlocks(view.blocks);
    if (problem) return fail(problem);
    this.homeViews.set(args.user_id, { type: 'home', blocks: view.blocks });
    return ok({ view: { id: `V${args.user_id}`, type: 'home' } });
  }

  private setStatus(args: Args): Body {
    if (
      typeof args.channel_id !== 'string' ||
      typeof args.thread_ts !== 'string' ||
      typeof args.status !== 'string'
    ) {
      return fail({ error: 'invalid_arguments', detail: 'channel_id, thread_ts and status are required' });
    }
    const denied = this.access(args.channel_id);
    if (denied) return fail(denied);
    this.statuses.push({
      channel_id: args.channel_id,
      thread_ts: args.thread_ts,
      status: args.status,
      at: performance.now(),
    });
    return ok();
  }
}

export async function startFakeSlack(
  opts: { rateLimitPerChannelPerSecond?: boolean } = {},
): Promise<FakeSlack> {
  const fake = new FakeSlackServer(opts);
  await fake.listen();
  return fake;
}
