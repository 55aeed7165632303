import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { countInputTokens, PromptCache } from './cache.js';
import {
  closedPromise,
  defaultErrorMessage,
  hasApiKey,
  raceClose,
  randomId,
  readBody,
  sendError,
  sendJson,
  sleep,
} from './http.js';
import { answerJson, MessagePlan } from './plan.js';
import { ReplyScript } from './scripting.js';
import { streamMessage } from './stream.js';
import type { ErrorReply, FakeAnthropic, RecordedRequest } from './types.js';
import { validate } from './validate.js';

/**
 * The HTTP side of the fake Anthropic API: routes, records and checks each request (auth, then
 * validation), then answers it with the next scripted reply, as JSON or as a stream.
 */

// biome-ignore lint/suspicious/noExplicitAny: untyped JSON.
type Json = any;

/** The parsed body, or the raw text and the API's error when it is not JSON. */
function parseBody(raw: string): { body: Json; parseError?: string } {
  try {
    return { body: raw.length > 0 ? JSON.parse(raw) : undefined };
  } catch {
    return { body: raw, parseError: 'There was an error parsing the body: invalid JSON' };
  }
}

function sendErrorReply(res: ServerResponse, requestId: string, reply: ErrorReply): void {
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
}

export async function startFakeAnthropic(opts: { minCacheableTokens?: number } = {}): Promise<FakeAnthropic> {
  const cache = new PromptCache(opts.minCacheableTokens ?? 1024);
  const requests: RecordedRequest[] = [];
  const replies = new ReplyScript();
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

    const { body, parseError } = parseBody(raw);
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
    await answer(res, requestId, body, recorded);
  }

  /** Answers a valid Messages request with the next reply: an error, a JSON message or a stream. */
  async function answer(res: ServerResponse, requestId: string, body: Json, recorded: RecordedRequest) {
    const reply = replies.next(recorded);
    if (reply.kind === 'error') {
      sendErrorReply(res, requestId, reply);
      return;
    }
    const gone = closedPromise(res);
    if (reply.gate && !(await raceClose(reply.gate, gone))) return;
    if (reply.delayMs && !(await raceClose(sleep(reply.delayMs), gone))) return;
    if (closed || res.destroyed) return;

    const plan = new MessagePlan(reply, String(body.model), cache.use(body));
    const exchange = { res, requestId, plan, recorded, gone };
    await (body.stream === true ? streamMessage(exchange) : answerJson(exchange));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...list) => replies.script(...list),
    setDefault: (reply) => replies.setDefault(reply),
    reset: () => {
      requests.length = 0;
      replies.reset();
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
