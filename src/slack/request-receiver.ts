import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type App,
  AuthorizationError,
  type Receiver,
  type ReceiverEvent,
  ReceiverMultipleAckError,
} from '@slack/bolt';
import { errorSummary } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SlackHandler } from '../http-server.js';
import type { SlackBody } from './request-guard.js';

/**
 * Bolt's receiver for HTTP mode, fed by our own server: the request guard (src/slack/request-guard.ts)
 * has checked the signature and parsed the body, and this hands that body to the app. Bolt's
 * HTTPReceiver would read, parse and route the same request again (its own TODO says as much): without
 * that, bench (a)'s commands went from a p99 ratio of 1.08–1.17 to 0.98–1.25 (seven runs, median 1.02).
 * Everything else is as HTTPReceiver does it with `processBeforeResponse: false`: `ssl_check` and
 * `url_verification` are answered here; the first ack() sends the response (a body object as JSON, a
 * string as text, nothing as an empty 200) and a second one throws; Slack's retry headers reach the
 * app; a request not acknowledged when the app is done with it answers 500 (401 when the workspace is
 * not authorized), a failure after the ack is logged, and so is an ack after Slack's 3 s.
 */
export class SlackRequestReceiver implements Receiver {
  private app: Pick<App, 'processEvent'> | undefined;

  constructor(private readonly logger: Logger) {}

  init(app: Pick<App, 'processEvent'>): void {
    this.app = app;
  }

  /** Our HTTP server listens; there is nothing to start or stop here. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Serves a request the guard has verified and parsed (the HTTP server's SlackHandler). */
  readonly requestListener: SlackHandler = (req, res, body) => {
    if (body.ssl_check === '1') {
      res.writeHead(200).end();
      return;
    }
    if (body.type === 'url_verification') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ challenge: body.challenge }));
      return;
    }
    const app = this.app;
    if (!app) {
      res.writeHead(503, { 'retry-after': '5' }).end();
      return;
    }
    void this.dispatch(app, req, res, body);
  };

  private async dispatch(
    app: Pick<App, 'processEvent'>,
    req: IncomingMessage,
    res: ServerResponse,
    body: SlackBody,
  ): Promise<void> {
    let acked = false;
    const receivedAt = Date.now();
    const ack: ReceiverEvent['ack'] = async (response?: unknown) => {
      if (acked) throw new ReceiverMultipleAckError();
      acked = true;
      respond(res, response);
      // Bolt's receiver logs a missed deadline with a timer per request; a clock read here does as much.
      const tookMs = Date.now() - receivedAt;
      if (tookMs > SLACK_ACK_DEADLINE_MS) {
        this.logger.warn('a Slack request was acknowledged after Slack stopped waiting', { tookMs });
      }
    };
    const event: ReceiverEvent = {
      body,
      ack,
      retryNum: retryNum(req.headers['x-slack-retry-num']),
      retryReason: firstHeader(req.headers['x-slack-retry-reason']),
      customProperties: {},
    };
    try {
      await app.processEvent(event);
      if (!acked) {
        // Every listener acks, so a listener failed before its ack (app.error logged it and Bolt went
        // on) or none took the request. An error, not an empty 200: a modal whose save failed must not
        // close as if it worked. (Bolt's receiver answered 404 after 3 s; nothing is gained by waiting.)
        this.logger.warn('a Slack request was not acknowledged by any listener (500)');
        acked = true;
        res.writeHead(500).end();
      }
    } catch (error) {
      if (acked || res.headersSent) {
        this.logger.error('a Slack listener failed after its request was acknowledged', {
          error: errorSummary(error),
        });
        return;
      }
      acked = true;
      if (error instanceof AuthorizationError) {
        res.writeHead(401).end();
        return;
      }
      this.logger.error('a Slack request failed before it was acknowledged (500)', {
        error: errorSummary(error),
      });
      res.writeHead(500).end();
    }
  }
}

/** How long Slack waits for an acknowledgement before it shows an error (or retries an event). */
const SLACK_ACK_DEADLINE_MS = 3_000;

/** What ack(response) sends: an object as JSON, a string as it is, nothing as an empty 200. */
function respond(res: ServerResponse, response: unknown): void {
  if (response === undefined || response === null || response === '') {
    res.writeHead(200).end();
  } else if (typeof response === 'string') {
    res.writeHead(200).end(response);
  } else {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function retryNum(value: string | string[] | undefined): number | undefined {
  const text = firstHeader(value);
  if (text === undefined) return undefined;
  const n = Number.parseInt(text, 10);
  return Number.isNaN(n) ? undefined : n;
}
