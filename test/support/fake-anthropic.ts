import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  countBreakpoints,
  countInputTokens,
  estimateTokens,
  type InputUsage,
  MAX_CACHE_BREAKPOINTS,
  PromptCache,
} from './fake-anthropic-cache.js';

/**
 * A local fake of the Anthropic Messages API (API version 2026-10-21, as spoken by @anthropic-ai/sdk
 * 1.x) for end-to-end tests and benchmarks. Point the real SDK at it with `baseURL: fake.url` (or
 * `ANTHROPIC_BASE_URL`).
 *
 * - `POST /v1/messages`: JSON or SSE (`stream: true`), replies scripted with `script()` (one per
 *   request, in order) or the default reply. Requests failing auth (401) or validation (400) are
 *   recorded but do not consume a scripted reply.
 * - `POST /v1/messages/count_tokens`: `{ input_tokens }` with the same estimate; it is recorded but
 *   never consumes a scripted reply and never touches the cache.
 * - Usage and the prompt cache are simulated: see fake-anthropic-cache.ts. Cache entries never
 *   expire during a test; `reset()` empties the cache.
 * - Any other path answers 404 `not_found_error` and is not recorded.
 */

export interface Usage extends InputUsage {
  output_tokens: number;
  service_tier: 'standard';
  output_tokens_details?: { thinking_tokens: number };
}

export interface RecordedRequest {
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: the parsed JSON body as the client sent it.
  body: any;
  headers: Record<string, string | string[] | undefined>;
  /** `performance.now()` when the request arrived. */
  at: number;
  /** `performance.now()` when the first content delta was written (non-streaming: when the body was sent). */
  firstByteAt?: number;
  /** The usage reported for this request (Messages requests answered with a message only). */
  usage?: Usage;
  /** The `request-id` header sent back. */
  requestId: string;
  /** HTTP status of the response. */
  status?: number;
  /** A streamed response the client closed before its end (e.g. the SDK's AbortSignal). */
  closedByClient?: boolean;
  /** A streamed response sent to its end (message_stop). */
  completed?: boolean;
}

export type Block =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string }
  | { type: 'tool_use'; name: string; input: unknown; id?: string };

export interface MessageReply {
  kind: 'message';
  content: Block[];
  /** Default: `tool_use` when the content has a tool_use block, otherwise `end_turn`. */
  stopReason?: 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';
  /** Wait this long (after `gate`) before answering at all. */
  delayMs?: number;
  /** Streaming: wait this long after message_start before the first content delta. */
  firstTokenDelayMs?: number;
  /** Pace the content deltas (a token ≈ 4 characters). Default: as fast as possible, one write per delta. */
  tokensPerSecond?: number;
  /** Wait for this promise before sending anything, headers included. */
  gate?: Promise<void>;
  /**
   * Streaming: after `afterChars` characters of text, send `event: error` and end the response (if the
   * text is shorter, the error comes after the last content block). Non-streaming: an HTTP error
   * (529 for `overloaded_error`, otherwise 500) with that error type.
   */
  midStreamError?: { afterChars: number; type?: string };
  /** Streaming: after this many characters of text, send nothing more (a stalled stream) until the client leaves. */
  stallAfterChars?: number;
}

export interface ErrorReply {
  kind: 'error';
  status: number;
  type: string;
  message?: string;
  /** `retry-after` header, in seconds. */
  retryAfter?: number;
  /** `retry-after-ms` header. */
  retryAfterMs?: number;
}

export type Reply = MessageReply | ErrorReply;

export interface FakeAnthropic {
  /** `http://127.0.0.1:PORT`, without `/v1`: the SDK appends `/v1/messages`. */
  url: string;
  /** Every `POST /v1/messages` and `POST /v1/messages/count_tokens`, in arrival order. */
  requests: RecordedRequest[];
  /** Queues replies, used in order, one per Messages request; when empty, the default reply is used. */
  script(...replies: Reply[]): void;
  /** Default: `textReply(dataEngineeringAnswer())`. */
  setDefault(reply: Reply | ((req: RecordedRequest) => Reply)): void;
  /** Clears the recorded requests, the script queue and the prompt cache, and restores the default reply. */
  reset(): void;
  close(): Promise<void>;
}

export function textReply(
  text: string,
  extra: Partial<Omit<MessageReply, 'kind' | 'content'>> = {},
): MessageReply {
  return { kind: 'message', content: [{ type: 'text', text }], ...extra };
}

const DEFAULT_REPLY: Reply = textReply(dataEngineeringAnswer());

export async function startFakeAnthropic(opts: { minCacheableTokens?: number } = {}): Promise<FakeAnthropic> {
  const cache = new PromptCache(opts.minCacheableTokens ?? 1024);
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  let defaultReply: Reply | ((req: RecordedRequest) => Reply) = DEFAULT_REPLY;
  let closed = false;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendError(res, randomId('req_'), 500, 'api_error', `Fake Anthropic failed: ${String(error)}`);
      } else if (!res.destroyed) {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const requestId = randomId('req_');
    const path = req.url ?? '/';
    const pathname = path.split('?')[0];
    const raw = await readBody(req);
    const isMessages = pathname === '/v1/messages';
    const isCount = pathname === '/v1/messages/count_tokens';
    if (req.method !== 'POST' || (!isMessages && !isCount)) {
      sendError(res, requestId, 404, 'not_found_error', `Not found: ${req.method} ${pathname}`);
      return;
    }

    // biome-ignore lint/suspicious/noExplicitAny: untyped JSON.
    let body: any;
    let parseError: string | undefined;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
      parseError = 'There was an error parsing the body: invalid JSON';
    }
    const recorded: RecordedRequest = { path, body, headers: { ...req.headers }, at, requestId };
    requests.push(recorded);
    res.on('finish', () => {
      recorded.status = res.statusCode;
    });

    if (!hasApiKey(req)) {
      sendError(
        res,
        requestId,
        401,
        'authentication_error',
        'x-api-key header or Authorization: Bearer is required',
      );
      return;
    }
    const problem = parseError ?? validate(body, isCount);
    if (problem) {
      sendError(res, requestId, 400, 'invalid_request_error', problem);
      return;
    }
    if (isCount) {
      sendJson(res, requestId, 200, { input_tokens: countInputTokens(body) });
      return;
    }

    const reply =
      queue.shift() ?? (typeof defaultReply === 'function' ? defaultReply(recorded) : defaultReply);
    if (reply.kind === 'error') {
      const headers: Record<string, string> = {};
      if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
      if (reply.retryAfterMs !== undefined) headers['retry-after-ms'] = String(reply.retryAfterMs);
      sendError(
        res,
        requestId,
        reply.status,
        reply.type,
        reply.message ?? defaultErrorMessage(reply.type),
        headers,
      );
      return;
    }

    const gone = closedPromise(res);
    if (reply.gate && !(await raceClose(reply.gate, gone))) return;
    if (reply.delayMs && !(await raceClose(sleep(reply.delayMs), gone))) return;
    if (closed || res.destroyed) return;

    const message = new MessagePlan(reply, String(body.model), cache.use(body));
    if (body.stream === true) {
      await streamMessage(res, requestId, message, recorded, gone);
    } else {
      await answerJson(res, requestId, message, recorded, gone);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...replies) => {
      queue.push(...replies);
    },
    setDefault: (reply) => {
      defaultReply = reply;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      defaultReply = DEFAULT_REPLY;
      cache.clear();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Everything needed to answer one Messages request with a `kind: 'message'` reply. */
class MessagePlan {
  readonly id = randomId('msg_');
  readonly model: string;
  readonly blocks: Array<Block & { id?: string }>;
  readonly stopReason: NonNullable<MessageReply['stopReason']>;
  readonly outputTokens: number;
  readonly thinkingTokens: number;

  constructor(
    readonly reply: MessageReply,
    model: string,
    readonly input: InputUsage,
  ) {
    this.model = model;
    this.blocks = reply.content.map((block) =>
      block.type === 'tool_use' ? { ...block, id: block.id ?? randomId('toolu_') } : block,
    );
    this.stopReason =
      reply.stopReason ?? (reply.content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    this.thinkingTokens = this.blocks.reduce(
      (sum, b) => sum + (b.type === 'thinking' ? estimateTokens(b.thinking.length) : 0),
      0,
    );
    this.outputTokens = Math.max(
      1,
      this.blocks.reduce((sum, b) => sum + estimateTokens(blockOutputChars(b)), 0),
    );
  }

  usage(outputTokens = this.outputTokens): Usage {
    const usage: Usage = { ...this.input, output_tokens: outputTokens, service_tier: 'standard' };
    if (this.thinkingTokens > 0) usage.output_tokens_details = { thinking_tokens: this.thinkingTokens };
    return usage;
  }

  stopDetails(): unknown {
    return this.stopReason === 'refusal' ? { type: 'refusal', category: null, explanation: null } : null;
  }

  finalBlock(block: Block & { id?: string }): unknown {
    switch (block.type) {
      case 'text':
        return { type: 'text', text: block.text };
      case 'thinking':
        return { type: 'thinking', thinking: block.thinking, signature: signatureFor(block.thinking) };
      case 'tool_use':
        return {
          type: 'tool_use',
          id: block.id,
          name: block.name,
          input: block.input,
          caller: { type: 'direct' },
        };
    }
  }
}

function blockOutputChars(block: Block): number {
  switch (block.type) {
    case 'text':
      return block.text.length;
    case 'thinking':
      return block.thinking.length;
    case 'tool_use':
      return (JSON.stringify(block.input ?? {}) ?? '').length;
  }
}

async function answerJson(
  res: ServerResponse,
  requestId: string,
  plan: MessagePlan,
  recorded: RecordedRequest,
  gone: Promise<void>,
): Promise<void> {
  const { reply } = plan;
  // The real API answers only once the whole message is generated.
  const generationMs =
    (reply.firstTokenDelayMs ?? 0) +
    (reply.tokensPerSecond ? (plan.outputTokens / reply.tokensPerSecond) * 1000 : 0);
  if (generationMs > 0 && !(await raceClose(sleep(generationMs), gone))) return;
  if (res.destroyed) return;
  if (reply.midStreamError) {
    const type = reply.midStreamError.type ?? 'overloaded_error';
    sendError(res, requestId, type === 'overloaded_error' ? 529 : 500, type, defaultErrorMessage(type));
    return;
  }
  recorded.usage = plan.usage();
  recorded.firstByteAt = performance.now();
  sendJson(res, requestId, 200, {
    id: plan.id,
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content: plan.blocks.map((b) => plan.finalBlock(b)),
    stop_reason: plan.stopReason,
    stop_sequence: null,
    stop_details: plan.stopDetails(),
    container: null,
    usage: recorded.usage,
  });
}

/** Sizes (in tokens of ~4 characters) of successive deltas: small and varied, like the real stream. */
const DELTA_TOKENS = [1, 2, 3, 2];
const JSON_FRAGMENT_CHARS = [7, 5, 9, 6];

async function streamMessage(
  res: ServerResponse,
  requestId: string,
  plan: MessagePlan,
  recorded: RecordedRequest,
  gone: Promise<void>,
): Promise<void> {
  const { reply } = plan;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': requestId,
  });
  res.flushHeaders();

  let alive = true;
  gone.then(() => {
    alive = false;
    if (!res.writableEnded) recorded.closedByClient = true;
  });
  const send = async (event: string, data: unknown): Promise<boolean> => {
    if (!alive || res.destroyed || res.writableEnded) return false;
    const ok = res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (!ok) await raceClose(new Promise<void>((resolve) => res.once('drain', () => resolve())), gone);
    return alive && !res.destroyed;
  };

  // Pacing: an absolute schedule from the first content delta, so timer drift does not accumulate.
  let paceStart = 0;
  let pacedTokens = 0;
  const pace = async (chars: number): Promise<boolean> => {
    if (reply.tokensPerSecond && reply.tokensPerSecond > 0) {
      pacedTokens += chars / 4;
      const due = paceStart + (pacedTokens / reply.tokensPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) return raceClose(sleep(wait), gone);
    }
    // Give the event loop a turn so every delta is its own write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return alive && !res.destroyed;
  };

  let firstDeltaPending = true;
  const delta = async (index: number, payload: unknown, chars: number): Promise<boolean> => {
    if (firstDeltaPending) {
      firstDeltaPending = false;
      if (reply.firstTokenDelayMs && !(await raceClose(sleep(reply.firstTokenDelayMs), gone))) return false;
      recorded.firstByteAt = performance.now();
      paceStart = recorded.firstByteAt;
    }
    if (!(await send('content_block_delta', { type: 'content_block_delta', index, delta: payload })))
      return false;
    return pace(chars);
  };

  let textSent = 0;
  let outputChars = 0;
  const errorAt = reply.midStreamError?.afterChars;
  const fail = async (): Promise<void> => {
    const type = reply.midStreamError?.type ?? 'overloaded_error';
    recorded.usage = plan.usage(Math.max(1, estimateTokens(outputChars)));
    await send('error', { type: 'error', error: { type, message: defaultErrorMessage(type) } });
    res.end();
  };

  const startUsage = { ...plan.usage(1) };
  delete startUsage.output_tokens_details;
  if (
    !(await send('message_start', {
      type: 'message_start',
      message: {
        id: plan.id,
        type: 'message',
        role: 'assistant',
        model: plan.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        container: null,
        usage: startUsage,
      },
    }))
  )
    return;

  let pinged = false;
  const ping = async (): Promise<boolean> => {
    if (pinged) return true;
    pinged = true;
    return send('ping', { type: 'ping' });
  };

  for (const [index, block] of plan.blocks.entries()) {
    const start =
      block.type === 'text'
        ? { type: 'text', text: '' }
        : block.type === 'thinking'
          ? { type: 'thinking', thinking: '', signature: '' }
          : { type: 'tool_use', id: block.id, name: block.name, input: {}, caller: { type: 'direct' } };
    if (!(await send('content_block_start', { type: 'content_block_start', index, content_block: start })))
      return;
    if (!(await ping())) return;

    if (block.type === 'text') {
      for (const piece of chunks(
        block.text,
        DELTA_TOKENS.map((t) => t * 4),
      )) {
        let text = piece;
        if (reply.stallAfterChars !== undefined && textSent >= reply.stallAfterChars) {
          await gone;
          return;
        }
        if (errorAt !== undefined && textSent + text.length >= errorAt) {
          text = sliceCodePoints(text, errorAt - textSent);
          if (text.length > 0) {
            textSent += text.length;
            outputChars += text.length;
            if (!(await delta(index, { type: 'text_delta', text }, text.length))) return;
          }
          await fail();
          return;
        }
        textSent += text.length;
        outputChars += text.length;
        if (!(await delta(index, { type: 'text_delta', text }, text.length))) return;
      }
    } else if (block.type === 'thinking') {
      for (const thinking of chunks(
        block.thinking,
        DELTA_TOKENS.map((t) => t * 4),
      )) {
        outputChars += thinking.length;
        if (!(await delta(index, { type: 'thinking_delta', thinking }, thinking.length))) return;
      }
      const signature = signatureFor(block.thinking);
      if (!(await delta(index, { type: 'signature_delta', signature }, 0))) return;
    } else {
      const json = JSON.stringify(block.input ?? {}) ?? '{}';
      const fragments = ['', ...chunks(json, JSON_FRAGMENT_CHARS)];
      for (const partial_json of fragments) {
        outputChars += partial_json.length;
        if (!(await delta(index, { type: 'input_json_delta', partial_json }, partial_json.length))) return;
      }
    }
    if (!(await send('content_block_stop', { type: 'content_block_stop', index }))) return;
  }
  if (!(await ping())) return;
  if (errorAt !== undefined) {
    await fail();
    return;
  }

  recorded.usage = plan.usage();
  const { service_tier: _tier, cache_creation: _creation, ...deltaUsage } = recorded.usage;
  if (
    !(await send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: plan.stopReason, stop_sequence: null, stop_details: plan.stopDetails() },
      usage: deltaUsage,
    }))
  )
    return;
  if (!(await send('message_stop', { type: 'message_stop' }))) return;
  recorded.completed = true;
  res.end();
}

/** Splits `text` into pieces of the given sizes (cycled), never inside a surrogate pair. */
function chunks(text: string, sizes: number[]): string[] {
  const out: string[] = [];
  let i = 0;
  let n = 0;
  while (i < text.length) {
    const piece = sliceCodePoints(text.slice(i), sizes[n % sizes.length] ?? 4);
    out.push(piece);
    i += piece.length;
    n++;
  }
  return out;
}

/** The first `length` UTF-16 units of `text`, one more if that would split a surrogate pair. */
function sliceCodePoints(text: string, length: number): string {
  if (length <= 0) return '';
  let end = Math.min(length, text.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff && end < text.length) end++;
  return text.slice(0, end);
}

function signatureFor(thinking: string): string {
  return Buffer.from(`fake-signature:${thinking.length}:${randomBytes(12).toString('hex')}`).toString(
    'base64',
  );
}

// ---------------------------------------------------------------------------------------------
// Validation, auth and HTTP helpers

const REMOVED_SAMPLING_PARAMS = ['temperature', 'top_p', 'top_k'];
const ROLES = new Set(['user', 'assistant', 'system']);

// biome-ignore lint/suspicious/noExplicitAny: untyped JSON.
function validate(body: any, isCount: boolean): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'Request body must be a JSON object';
  for (const param of REMOVED_SAMPLING_PARAMS) {
    if (param in body) return `${param}: Extra inputs are not permitted`;
  }
  if (!('model' in body)) return 'model: Field required';
  if (typeof body.model !== 'string' || body.model.length === 0)
    return 'model: Input should be a valid string';
  if (!isCount) {
    if (!('max_tokens' in body)) return 'max_tokens: Field required';
    if (!Number.isInteger(body.max_tokens)) return 'max_tokens: Input should be a valid integer';
    if (body.max_tokens < 1) return 'max_tokens: Input should be greater than or equal to 1';
    if ('stream' in body && typeof body.stream !== 'boolean')
      return 'stream: Input should be a valid boolean';
  }
  if (!('messages' in body)) return 'messages: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Input should be a valid list';
  if (body.messages.length === 0) return 'messages: at least one message is required';
  for (const [i, message] of body.messages.entries()) {
    if (message === null || typeof message !== 'object')
      return `messages.${i}: Input should be a valid dictionary`;
    if (!ROLES.has(message.role))
      return `messages.${i}.role: Input should be 'user', 'assistant' or 'system'`;
    if (typeof message.content !== 'string' && !Array.isArray(message.content))
      return `messages.${i}.content: Input should be a valid string or list`;
  }
  const unanswered = unansweredToolUse(body.messages);
  if (unanswered) return unanswered;
  if ('system' in body && typeof body.system !== 'string' && !Array.isArray(body.system))
    return 'system: Input should be a valid string or list';
  if ('tools' in body && !Array.isArray(body.tools)) return 'tools: Input should be a valid list';
  const breakpoints = countBreakpoints(body);
  if (breakpoints > MAX_CACHE_BREAKPOINTS)
    return `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`;
  return undefined;
}

/**
 * The API's rule for tool use: every tool_use block of an assistant message must be answered by a
 * tool_result block, with its id, in the user message right after it.
 */
type JsonBlock = { type?: unknown; id?: unknown; tool_use_id?: unknown };
function blocksOf(message: { content?: unknown } | undefined): JsonBlock[] {
  return Array.isArray(message?.content) ? (message.content as JsonBlock[]) : [];
}
function unansweredToolUse(messages: { role?: unknown; content?: unknown }[]): string | undefined {
  for (const [i, message] of messages.entries()) {
    if (message.role !== 'assistant') continue;
    const ids = blocksOf(message)
      .filter((b) => b?.type === 'tool_use')
      .map((b) => String(b.id));
    if (ids.length === 0) continue;
    const next = messages[i + 1];
    const answered = new Set(
      blocksOf(next)
        .filter((b) => b?.type === 'tool_result')
        .map((b) => String(b.tool_use_id)),
    );
    const missing = ids.filter((id) => !answered.has(id));
    if (next?.role !== 'user' || missing.length > 0) {
      return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return undefined;
}

function hasApiKey(req: IncomingMessage): boolean {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim().length > 0) return true;
  const auth = req.headers.authorization;
  return typeof auth === 'string' && /^Bearer\s+\S+/i.test(auth);
}

function defaultErrorMessage(type: string): string {
  switch (type) {
    case 'overloaded_error':
      return 'Overloaded';
    case 'rate_limit_error':
      return 'Number of request tokens has exceeded your per-minute rate limit';
    case 'api_error':
      return 'Internal server error';
    case 'authentication_error':
      return 'invalid x-api-key';
    case 'permission_error':
      return 'Your API key does not have permission to use the specified resource.';
    case 'not_found_error':
      return 'Not found';
    case 'timeout_error':
      return 'Request timed out';
    default:
      return type;
  }
}

function sendJson(
  res: ServerResponse,
  requestId: string,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': requestId,
    ...headers,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  requestId: string,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    requestId,
    status,
    { type: 'error', error: { type, message }, request_id: requestId },
    headers,
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Resolves when the response can no longer be written (client went away or server closed). */
function closedPromise(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    if (res.destroyed) resolve();
    res.once('close', () => resolve());
  });
}

/** Waits for `work`; false if the response closed first. */
async function raceClose(work: Promise<unknown>, gone: Promise<void>): Promise<boolean> {
  let closedFirst = false;
  await Promise.race([
    work,
    gone.then(() => {
      closedFirst = true;
    }),
  ]);
  return !closedFirst;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomId(prefix: string): string {
  const bytes = randomBytes(24);
  let id = '011C';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return `${prefix}${id}`;
}

// ---------------------------------------------------------------------------------------------
// Canned content

/** A realistic four-section answer (≈2.5k characters) as the bot's system prompt asks for. */
export function dataEngineeringAnswer(taskName = 'Pipeline for user analytics'): string {
  return `## Data Engineering Solution: ${taskName}

### Data Architecture
- **Sources:** application events from Kafka (\`events.user_activity\`, ~40k msgs/s at peak) and a nightly CDC export of the \`users\` table from Postgres.
- **Ingestion:** a Kafka Connect S3 sink writes Parquet files partitioned by \`event_date\` and \`event_hour\`; Debezium handles the CDC stream.
- **Storage:** a lakehouse on S3 with Apache Iceberg tables in three layers — \`raw\` (append only, 30-day retention), \`staging\` (deduplicated, typed) and \`marts\` (business-facing aggregates).
- **Compute:** dbt on Snowflake for the transformations; Airflow orchestrates the hourly and daily DAGs.
- **Serving:** the \`marts.user_daily_activity\` table feeds the product dashboards through Looker.

### Implementation Plan
1. Create the Iceberg tables and register them in the Glue catalog (day 1).
2. Deploy the S3 sink connector with exactly-once delivery and a dead-letter topic for malformed events (days 2–3).
3. Build the dbt staging models: cast types, drop test accounts, deduplicate on \`event_id\` (days 3–5).
4. Build the incremental mart \`user_daily_activity\` with a \`merge\` strategy on \`(user_id, activity_date)\` (days 5–7).
5. Schedule the Airflow DAG hourly, with a daily backfill task for late-arriving events up to 72 hours old.
6. Hand the dashboards over to analytics and document the tables in the data catalog.

### Quality Assurance
- dbt tests: \`unique\` and \`not_null\` on keys, \`accepted_values\` on \`event_type\`, \`relationships\` from events to users.
- Freshness SLA: alert in #data-alerts when \`raw.user_events\` is more than 2 hours behind.
- Volume anomaly check: flag a day whose event count deviates more than 3σ from the trailing 28-day mean.
- Reconciliation: compare daily counts between Kafka offsets and the raw table; tolerate < 0.1 % drift.
- Every model change goes through CI with \`dbt build --select state:modified+\` against a staging clone.

### Code/Configuration
\`\`\`sql
-- models/marts/user_daily_activity.sql
{{ config(materialized='incremental', unique_key=['user_id', 'activity_date'], incremental_strategy='merge') }}

select
  e.user_id,
  cast(e.event_ts as date)                      as activity_date,
  count(*)                                      as events,
  count(distinct e.session_id)                  as sessions,
  sum(iff(e.event_type = 'purchase', 1, 0))     as purchases,
  max(e.event_ts)                               as last_seen_at
from {{ ref('stg_user_events') }} e
{% if is_incremental() %}
where e.event_ts >= dateadd('hour', -72, (select max(last_seen_at) from {{ this }}))
{% endif %}
group by 1, 2
\`\`\`

Start with the staging layer and its tests: once deduplication is trusted, the marts are cheap to rebuild.
`;
}
