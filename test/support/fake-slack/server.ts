import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FAKE_APP_TOKEN, FakeSocketMode } from '../fake-socket-mode/index.js';
import { serveFile } from './file-downloads.js';
import { type FakeFile, fileObject } from './methods/files.js';
import { METHODS } from './methods/index.js';
import { ResponseUrls } from './response-urls.js';
import { failureReply, type Reply, Script } from './scripting.js';
import { type ChannelOptions, type SeededMessage, SlackState } from './state.js';
import type {
  Args,
  CallFilter,
  Failure,
  FakeMessage,
  FakeSlack,
  RecordedCall,
  SeededFile,
  SlackUser,
  UploadedFile,
} from './types.js';
import { receiveUpload } from './uploads.js';
import { type Body, fail } from './wire.js';
import { FakeWorkspaces } from './workspaces.js';

/**
 * The HTTP side of the fake Slack: `POST /api/<method>` (form-encoded or JSON, token from
 * `Authorization: Bearer` or the `token` field), recorded in `calls` on arrival, with the scripted
 * failures and holds applied before the method runs; and `POST /response/<id>` for response URLs.
 */

/** Form-encoded clients (the WebClient) send nested values as JSON strings. */
const JSON_FIELDS = [
  'blocks',
  'attachments',
  'chunks',
  'metadata',
  'loading_messages',
  'view',
  'files',
  'prompts',
];

function readBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
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

/** The scopes oauth.v2.access reports granted: the manifest's bot scopes. */
const BOT_SCOPES_GRANTED =
  'app_mentions:read,assistant:write,channels:history,groups:history,im:history,mpim:history,chat:write,commands,files:write,files:read,users:read,usergroups:read,channels:read,groups:read,im:read,mpim:read';

export class FakeSlackServer implements FakeSlack {
  apiUrl = '';
  readonly calls: RecordedCall[] = [];
  /** Every request for a file's bytes (`/files-pri/…`), with the Authorization header it carried. */
  readonly fileDownloads: { path: string; authorization: string | undefined; status: number }[] = [];
  private readonly state = new SlackState();
  /** Several workspaces, one app installed in each (OAuth v2): see workspaces.ts. */
  readonly workspaces = new FakeWorkspaces();
  readonly messages = this.state.messages;
  readonly ephemerals = this.state.ephemerals;
  readonly responses = this.state.responses;
  readonly statuses = this.state.statuses;
  readonly homeViews = this.state.homeViews;

  private origin = '';
  readonly socketMode = new FakeSocketMode(() => this.origin);
  private readonly server: Server;
  private readonly script = new Script();
  private readonly responseUrls = new ResponseUrls(this.state.responses);
  /** chat.postMessage: when each channel last accepted a post (only with rateLimitPerChannelPerSecond). */
  private readonly lastPostAt = new Map<string, number>();

  constructor(private readonly options: { rateLimitPerChannelPerSecond?: boolean }) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { ok: false, error: `fake_slack_bug: ${String(error)}` });
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.socketMode.upgrade(req, socket, head));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    this.state.origin = this.origin;
    this.apiUrl = `${this.origin}/api/`;
  }

  // ---- test-facing helpers -------------------------------------------------------------------

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  threadMessages(channel: string, threadTs: string): FakeMessage[] {
    return this.state.threadMessages(channel, threadTs);
  }

  responseUrl(): string {
    return this.responseUrls.mint(this.origin);
  }

  filesIn(channel: string, threadTs?: string, options: { includeDeleted?: boolean } = {}): UploadedFile[] {
    return this.state
      .sharedFiles(channel, threadTs)
      .filter((f) => options.includeDeleted || !f.deleted)
      .map((f) => ({
        id: f.id,
        name: f.name,
        title: f.title ?? f.name,
        bytes: f.bytes ?? Buffer.alloc(0),
        channel,
        ...(f.threadTs ? { threadTs: f.threadTs } : {}),
        messageTs: f.messageTs ?? '',
        ...(f.initialComment !== undefined ? { initialComment: f.initialComment } : {}),
        deleted: f.deleted,
      }));
  }

  setFileSizeLimit(bytes: number): void {
    this.state.fileSizeLimit = bytes;
  }

  seedFile(file: SeededFile): string {
    return this.shareFile(file).fileId;
  }

  shareFile(file: SeededFile): { fileId: string; event: Record<string, unknown> } {
    const id = this.state.nextFileId();
    const stored: FakeFile = {
      id,
      name: file.name,
      length: file.bytes.length,
      bytes: file.bytes,
      channel: file.channel,
      ...(file.threadTs ? { threadTs: file.threadTs } : {}),
      user: file.user,
      deleted: false,
      ...(file.declaredSize !== undefined ? { declaredSize: file.declaredSize } : {}),
      ...(file.downloadUrl ? { downloadUrl: file.downloadUrl } : {}),
      ...(file.redirectTo ? { redirectTo: file.redirectTo } : {}),
    };
    this.state.files.set(id, stored);
    const message = this.state.store({
      channel: file.channel,
      thread_ts: file.threadTs,
      user: file.user,
      ...(file.botId ? { bot_id: file.botId } : {}),
      text: file.text ?? '',
      files: [{ id, name: file.name, title: file.title ?? file.name, user: file.user }],
      upload: true,
    });
    stored.messageTs = message.ts;
    // The event Slack sends for it (message.channels etc.): subtype file_share, the full file objects.
    const event = {
      type: 'message',
      subtype: 'file_share',
      channel: file.channel,
      channel_type: file.channel.startsWith('D') ? 'im' : file.channel.startsWith('G') ? 'group' : 'channel',
      user: file.user,
      text: file.text ?? '',
      ts: message.ts,
      ...(file.threadTs ? { thread_ts: file.threadTs } : {}),
      files: [fileObject(stored, this.origin)],
      upload: false,
      display_as_bot: false,
      event_ts: message.ts,
    };
    return { fileId: id, event };
  }

  addUser(user: Partial<SlackUser> & { id: string }): void {
    this.state.addUser(user);
  }

  addChannel(id: string, opts: ChannelOptions & { team?: string }): void {
    this.state.addChannel(id, opts);
    if (opts.team) this.workspaces.channelTeams.set(id, opts.team);
  }

  addUserGroup(id: string, users: string[]): void {
    this.state.addUserGroup(id, users);
  }

  seedMessage(m: SeededMessage): FakeMessage {
    return this.state.seedMessage(m);
  }

  failNext(method: string, failure: Failure, times = 1, when?: CallFilter): void {
    this.script.failNext(method, failure, times, when);
  }

  injectRateLimits(rate: number, random: () => number): void {
    this.script.injectRateLimits(rate, random);
  }

  holdNext(method: string, when?: CallFilter): () => void {
    return this.script.holdNext(method, when);
  }

  refuseStreaming(error = 'feature_not_enabled'): void {
    this.state.streamingRefusal = error;
  }

  refuseProgressChunks(error = 'invalid_chunks'): void {
    this.state.progressChunkRefusal = error;
  }

  stopStreamAsUser(channel: string, ts: string): void {
    this.state.stopStreamAsUser(channel, ts);
  }

  expireStreamsAfterAppends(n: number): void {
    this.state.streamExpiry = n;
  }

  reset(): void {
    // Arrays are emptied in place so references a test already holds stay live.
    this.calls.length = 0;
    this.fileDownloads.length = 0;
    this.state.reset();
    this.script.reset();
    this.responseUrls.reset();
    this.lastPostAt.clear();
    this.workspaces.reset();
  }

  async close(): Promise<void> {
    await this.socketMode.close();
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
      const hold = this.script.takeHold(call.method, early);
      // biome-ignore lint/nursery/noMisusedPromises: a hold (a promise) or none (undefined)
      if (hold) await hold;
      const { status, body, headers } = this.api(call, raw, req, url);
      call.response = body;
      call.httpStatus = status;
      send(res, status, body, headers);
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/files-pri/')) {
      const reply = serveFile(this.state, url, req.headers.authorization);
      this.fileDownloads.push({
        path: url.pathname,
        authorization: req.headers.authorization,
        status: reply.status,
      });
      res.writeHead(reply.status, reply.headers).end(reply.body);
      return;
    }
    if (req.method === 'POST' && url.pathname.startsWith('/upload/v1/')) {
      const bytes = await readBytes(req);
      const reply = await receiveUpload(this.state, url.pathname.slice('/upload/v1/'.length), req, bytes);
      res.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.text);
      return;
    }
    const raw = await readBody(req);
    if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
      const refused = this.responseUrls.respond(this.origin, url, raw, at);
      if (refused) send(res, refused.status, refused.body);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    send(res, 404, { ok: false, error: 'not_found' });
  }

  /** Socket Mode's only Web API method: app-level tokens (xapp-) only, as Slack checks. */
  private openSocketConnection(token: string | undefined): Reply {
    if (!token) return { status: 200, body: fail('not_authed') };
    if (!token.startsWith('xapp-')) return { status: 200, body: fail('not_allowed_token_type') };
    if (token !== FAKE_APP_TOKEN) return { status: 200, body: fail('invalid_auth') };
    return { status: 200, body: { ok: true, url: this.socketMode.openConnectionUrl() } };
  }

  private api(call: RecordedCall, raw: string, req: IncomingMessage, url: URL): Reply {
    const args = parseArgs(raw, req.headers['content-type'] ?? '', url.searchParams);
    if (!args) return { status: 200, body: fail('invalid_json') };
    const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
    delete args.token;
    call.args = args;
    call.token = token;

    const scripted = this.script.takeFailure(call.method, args);
    if (scripted && 'afterLanding' in scripted && scripted.afterLanding && token)
      METHODS[call.method]?.(this.state, args);
    if (scripted) return failureReply(scripted);
    if (this.script.rateLimited(call.method)) return failureReply({ status: 429, retryAfter: 1 });
    const handler = METHODS[call.method];
    if (call.method === 'apps.connections.open') return this.openSocketConnection(token);
    if (call.method === 'oauth.v2.access') {
      const basic = /^Basic\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
      return { status: 200, body: this.workspaces.exchange(args, basic, BOT_SCOPES_GRANTED) };
    }
    if (!handler) return { status: 200, body: fail('unknown_method') };
    if (!token) return { status: 200, body: fail('not_authed') };
    if (!token.startsWith('xox')) return { status: 200, body: fail('invalid_auth') };
    const refused = this.workspaces.refusal(token, args.channel ?? args.channel_id);
    if (refused) return { status: 200, body: fail(refused) };
    const installed = this.workspaces.of(token);
    if (call.method === 'auth.test' && installed)
      return { status: 200, body: this.workspaces.authTest(installed) };
    // Posts, files and ownership checks are the calling workspace's bot's.
    this.state.actor = this.workspaces.actor(token);
    if (call.method === 'chat.postMessage' && this.options.rateLimitPerChannelPerSecond) {
      // Slack allows about one message per second per channel; only accepted posts count.
      const last = this.lastPostAt.get(String(args.channel));
      if (last !== undefined && call.at - last < 1000) return failureReply({ status: 429, retryAfter: 1 });
      const body = handler(this.state, args);
      if (body.ok) this.lastPostAt.set(String(args.channel), call.at);
      return { status: 200, body };
    }
    return { status: 200, body: handler(this.state, args) };
  }
}
