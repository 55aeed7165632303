import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './core/logger.js';
import { Busy, readBody, refuse, refuseAndClose } from './http-body.js';
import { ThrottledWarn } from './log-throttle.js';

/** Slack's payloads are a few kilobytes; nothing legitimate comes close to this. */
export const MAX_BODY_BYTES = 1_000_000;

/**
 * Limits that keep unauthenticated traffic cheap. Slack sends a whole request at once and expects an
 * answer within 3 s, so 10 s to receive headers and body is generous (Node's default is 5 minutes); a
 * connection that dawdles is closed. Bodies not yet verified may hold at most MAX_UNVERIFIED_BYTES in
 * memory together: a flood of large forged bodies gets 503 (Slack retries) instead of the heap.
 */
export const HTTP_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  /** How often Node checks the two timeouts above (its default, 30 s, would let them slip). */
  timeoutCheckMs: 1_000,
  maxConnections: 1_024,
  maxUnverifiedBytes: 8 * 1024 * 1024,
} as const;

export interface Health {
  ready: boolean;
  draining: boolean;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves a request to the Slack endpoint whose body the guard has checked and parsed. */
export type SlackHandler = (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => void;

type Refusal = { status: number; reason: string };

/**
 * Checks a request before it is handed on; a refusal is answered with its status. `headers` runs before
 * a byte of the body is read (signature headers present, well-formed and fresh), `body` once it is read
 * (and returns it parsed, so nothing parses it twice).
 */
export interface RequestGuard {
  headers(headers: IncomingMessage['headers']): Refusal | undefined;
  body(
    rawBody: Buffer,
    headers: IncomingMessage['headers'],
  ): { body: Record<string, unknown>; refusal?: undefined } | { refusal: Refusal };
}

/**
 * The bot's HTTP listener: `GET /healthz`, and everything else handed to Slack's receiver once it is
 * ready. Bodies are bounded before anyone reads them: a POST without a length (411) or above
 * MAX_BODY_BYTES (413) is refused at once, so a huge or endless body cannot exhaust memory.
 */
export async function startHttpServer(
  port: number,
  host: string,
  health: Health,
  handler: () => SlackHandler | undefined,
  guard: RequestGuard,
  logger: Logger,
  /** The OAuth install's GET routes (INSTALL_PATH, OAUTH_REDIRECT_PATH), once the Slack app exists. */
  install: () => RequestHandler | undefined = () => undefined,
): Promise<{ server: Server; url: string }> {
  const routes: Routes = {
    health,
    handler,
    install,
    guard,
    // One line per refusal would let anyone flood the log; the first few per minute say what is happening.
    refusals: new ThrottledWarn(logger, { burst: 5, windowMs: 60_000 }),
    unverified: { bytes: 0 },
  };
  const server = createServer(
    {
      headersTimeout: HTTP_LIMITS.headersTimeoutMs,
      requestTimeout: HTTP_LIMITS.requestTimeoutMs,
      connectionsCheckingInterval: HTTP_LIMITS.timeoutCheckMs,
    },
    (req, res) => route(routes, req, res),
  );
  server.maxConnections = HTTP_LIMITS.maxConnections;
  return { server, url: await listen(server, port, host) };
}

interface Routes {
  health: Health;
  handler: () => SlackHandler | undefined;
  install: () => RequestHandler | undefined;
  guard: RequestGuard;
  refusals: ThrottledWarn;
  /** Bytes held by bodies whose signature is not checked yet, all requests together. */
  unverified: { bytes: number };
}

function route(routes: Routes, req: IncomingMessage, res: ServerResponse) {
  const { health, guard, refusals } = routes;
  const path = req.url?.split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return answerHealth(res, health);
  // A browser's visit (no Slack signature): Bolt's InstallProvider checks the state on the callback.
  if (req.method === 'GET' && (path === INSTALL_PATH || path === OAUTH_REDIRECT_PATH)) {
    const install = routes.install();
    if (install && !health.draining) return install(req, res);
    return refuse(res, 404, 'not found');
  }
  // Only POST /slack/events goes to Slack's receiver (it would leave anything else unanswered).
  if (path !== SLACK_PATH) return refuse(res, 404, 'not found');
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return refuse(res, 405, 'method not allowed');
  }
  const slack = routes.handler();
  if (!slack || health.draining) {
    // Slack retries events it could not deliver, so nothing is lost while the bot starts or stops.
    res
      .writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' })
      .end(health.draining ? 'draining' : 'starting');
    return;
  }
  const early = bodyRefusal(req.headers['content-length']) ?? headerRefusal(guard, req);
  if (early) {
    refusals.warn('refused a request to the Slack endpoint before reading its body', {
      path,
      status: early.status,
      reason: early.text,
    });
    return refuseAndClose(req, res, early.status, early.text);
  }
  handOn(routes, req, res, slack);
}

/** Reads the (bounded) body, checks it, and hands the request and its parsed body to Slack's receiver. */
function handOn(routes: Routes, req: IncomingMessage, res: ServerResponse, slack: SlackHandler) {
  const { guard, refusals } = routes;
  readBody(req, MAX_BODY_BYTES, routes.unverified, HTTP_LIMITS.maxUnverifiedBytes).then(
    (rawBody) => {
      const checked = guard.body(rawBody, req.headers);
      if (checked.refusal) {
        const { status, reason } = checked.refusal;
        refusals.warn('refused a request to the Slack endpoint', { status, reason });
        return refuse(res, status, reason);
      }
      slack(req, res, checked.body);
    },
    (error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof Busy) {
        res.setHeader('retry-after', '5');
        refusals.warn('refused a request body: too many unverified bytes in flight', { status: 503 });
        return refuseAndClose(req, res, 503, 'busy');
      }
      refuseAndClose(req, res, 400, 'unreadable body');
    },
  );
}

async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

function headerRefusal(
  guard: RequestGuard,
  req: IncomingMessage,
): { status: number; text: string } | undefined {
  const refusal = guard.headers(req.headers);
  return refusal ? { status: refusal.status, text: refusal.reason } : undefined;
}

/** Where Bolt serves commands, events and interactivity. */
export const SLACK_PATH = '/slack/events';
/** Where the OAuth install is served (both modes; only with SLACK_CLIENT_ID etc.). */
export const INSTALL_PATH = '/slack/install';
export const OAUTH_REDIRECT_PATH = '/slack/oauth_redirect';

function bodyRefusal(contentLength: string | undefined): { status: number; text: string } | undefined {
  if (contentLength === undefined) return { status: 411, text: 'length required' };
  const length = Number(contentLength);
  if (!Number.isSafeInteger(length) || length < 0) return { status: 400, text: 'bad content-length' };
  if (length > MAX_BODY_BYTES) return { status: 413, text: 'body too large' };
  return undefined;
}

function answerHealth(res: ServerResponse, health: Health): void {
  const ok = health.ready && !health.draining;
  res
    .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
    .end(JSON.stringify({ status: ok ? 'ok' : health.draining ? 'draining' : 'starting' }));
}
