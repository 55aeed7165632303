import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorSummary } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { HTTP_LIMITS } from '../http-server.js';

/** What the listener serves: the metrics' text and its content type. */
export interface Scrapeable {
  scrape(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsListenerSettings {
  port: number;
  host: string;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token: string | undefined;
}

/**
 * `GET /metrics` on a listener of its own (METRICS_PORT, METRICS_HOST): never on the public listener
 * that takes Slack's requests, so opening /slack/events to the internet does not open the metrics.
 * It serves nothing else, reads no body, and with METRICS_TOKEN set refuses a scrape without it (401).
 * The same in HTTP and Socket Mode.
 */
export async function startMetricsServer(
  settings: MetricsListenerSettings,
  metrics: Scrapeable,
  logger: Logger,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(
    {
      headersTimeout: HTTP_LIMITS.headersTimeoutMs,
      requestTimeout: HTTP_LIMITS.requestTimeoutMs,
      connectionsCheckingInterval: HTTP_LIMITS.timeoutCheckMs,
    },
    (req, res) => answer(req, res, settings.token, metrics, logger),
  );
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  token: string | undefined,
  metrics: Scrapeable,
  logger: Logger,
): void {
  const path = req.url?.split('?')[0];
  if (path !== '/metrics') {
    plain(res, 404, 'not found');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    plain(res, 405, 'method not allowed');
    return;
  }
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.setHeader('www-authenticate', 'Bearer realm="metrics"');
    plain(res, 401, 'unauthorized');
    return;
  }
  metrics.scrape().then(
    (text) => {
      res.writeHead(200, { 'content-type': metrics.contentType });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    (error: unknown) => {
      logger.error('could not collect the metrics', { error: errorSummary(error) });
      plain(res, 500, 'could not collect the metrics');
    },
  );
}

/** Compared in constant time, on digests so the lengths match too. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}
