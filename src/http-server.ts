import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './core/ports.js';

/** Slack's payloads are a few kilobytes; nothing legitimate comes close to this. */
export const MAX_BODY_BYTES = 1_000_000;

export interface Health {
  ready: boolean;
  draining: boolean;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Checks a buffered request before it is handed on; a refusal is answered with its status. */
export type RequestGuard = (
  rawBody: Buffer,
  headers: IncomingMessage['headers'],
) => { status: number; reason: string } | undefined;

/**
 * The bot's HTTP listener: `GET /healthz`, and everything else handed to Slack's receiver once it is
 * ready. Bodies are bounded before anyone reads them: a POST without a length (411) or above
 * MAX_BODY_BYTES (413) is refused at once, so a huge or endless body cannot exhaust memory.
 */
export async function startHttpServer(
  port: number,
  host: string,
  health: Health,
  handler: () => RequestHandler | undefined,
  guard: RequestGuard,
  logger: Logger,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return answerHealth(res, health);
    // Only POST /slack/events goes to Slack's receiver (it would leave anything else unanswered).
    if (path !== SLACK_PATH) return refuse(res, 404, 'not found');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return refuse(res, 405, 'method not allowed');
    }
    const slack = handler();
    if (!slack || health.draining) {
      // Slack retries events it could not deliver, so nothing is lost while the bot starts or stops.
      res
        .writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' })
        .end(health.draining ? 'draining' : 'starting');
      return;
    }
    if (req.method === 'POST') {
      const refusal = bodyRefusal(req.headers['content-length']);
      if (refusal) {
        logger.warn('refused an HTTP request body', {
          path,
          status: refusal.status,
          length: req.headers['content-length'],
        });
        res
          .writeHead(refusal.status, { 'content-type': 'text/plain', connection: 'close' })
          .end(refusal.text);
        req.destroy();
        return;
      }
    }
    readBody(req, MAX_BODY_BYTES).then(
      (rawBody) => {
        const refusal = guard(rawBody, req.headers);
        if (refusal) {
          logger.warn('refused a request to the Slack endpoint', {
            status: refusal.status,
            reason: refusal.reason,
          });
          return refuse(res, refusal.status, refusal.reason);
        }
        // Bolt takes a body that is already read from `rawBody` instead of the stream.
        (req as IncomingMessage & { rawBody?: Buffer }).rawBody = rawBody;
        slack(req, res);
      },
      () => {
        if (!res.headersSent) refuse(res, 400, 'unreadable body');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return { server, url };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(new Error('body too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Where Bolt serves commands, events and interactivity. */
export const SLACK_PATH = '/slack/events';

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}

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
