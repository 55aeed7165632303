import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Json } from '../fake-slack/types.js';

/**
 * Slack's Socket Mode side, faked on the fake Slack's own HTTP server (an `upgrade` to
 * `/link/?ticket=…`), faithful to docs.slack.dev/apis/events-api/using-socket-mode:
 *
 * - `apps.connections.open` (app-level `xapp-` token) mints a single-use `ws://…/link/?ticket=…` URL;
 * - on connect the server sends `{type:"hello", num_connections, debug_info, connection_info}`;
 * - envelopes `{envelope_id, type: events_api|slash_commands|interactive, payload, accepts_response_payload,
 *   retry_attempt?, retry_reason?}` go to one open connection; the app answers `{envelope_id, payload?}`;
 * - `{type:"disconnect", reason:"refresh_requested"}` asks the app to open a new connection; the old one
 *   stays usable until the app closes it, as Slack keeps it a few seconds.
 *
 * Every ack is recorded in `acks`; an envelope not acked before its connection closes is delivered
 * again on the next connection (events with `retry_attempt` + 1 and reason `timeout`), as Slack does.
 */

export const FAKE_APP_TOKEN = 'xapp-1-A0FAKEAPP1-1234567890-abcdef0123456789';
const APP_ID = 'A0FAKEAPP1';

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Json;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface Ack {
  envelope_id: string;
  payload?: Json;
  /** Which connection (1 = the first) the ack came on. */
  connection: number;
}

interface Pending {
  envelope: Envelope;
  resolve: (ack: Ack) => void;
  /** The connection it was last sent on (undefined: none was open). */
  sentOn?: WebSocket;
}

export class FakeSocketMode {
  readonly acks: Ack[] = [];
  /** Every frame sent to the app, in order (hello, envelopes, disconnect). */
  readonly sent: Json[] = [];
  /** How many connections the app opened (each `hello` counts one). */
  connections = 0;
  private readonly tickets = new Set<string>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly open: { socket: WebSocket; number: number }[] = [];
  private readonly pending = new Map<string, Pending>();
  private sequence = 0;

  constructor(private readonly origin: () => string) {}

  /** apps.connections.open: a fresh, single-use URL for one connection. */
  openConnectionUrl(): string {
    const ticket = randomBytes(8).toString('hex');
    this.tickets.add(ticket);
    return `${this.origin().replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${APP_ID}`;
  }

  /** The fake Slack's HTTP server hands every `upgrade` here. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /** How many connections are open right now. */
  get openConnections(): number {
    return this.open.length;
  }

  /** Sends a slash command (the same fields as the HTTP body) and resolves with the app's ack. */
  slashCommand(fields: Record<string, string>): Promise<Ack> {
    return this.deliver({ type: 'slash_commands', payload: fields, accepts_response_payload: true });
  }

  /** Sends an Events API `event_callback` body (as slack-signing's eventEnvelope builds it). */
  event(body: Json, retry?: { attempt: number; reason: string }): Promise<Ack> {
    return this.deliver({
      type: 'events_api',
      payload: body,
      accepts_response_payload: false,
      retry_attempt: retry?.attempt ?? 0,
      retry_reason: retry?.reason ?? '',
    });
  }

  /** Sends an interaction payload (block_actions, view_submission …). */
  interactive(payload: Json): Promise<Ack> {
    // Only view submissions may answer with a payload (response_action); clicks are acked empty.
    const accepts = payload?.type === 'view_submission';
    return this.deliver({ type: 'interactive', payload, accepts_response_payload: accepts });
  }

  /** Slack's warning before it recycles the connection: the app should open a new one. */
  disconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    this.sendToNewest({ type: 'disconnect', reason, debug_info: { host: 'applink-fake-1' } });
  }

  async close(): Promise<void> {
    for (const { socket } of this.open) socket.terminate();
    this.open.length = 0;
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private deliver(fields: Omit<Envelope, 'envelope_id'>): Promise<Ack> {
    this.sequence += 1;
    const envelope: Envelope = {
      envelope_id: `${randomBytes(4).toString('hex')}-fake-${this.sequence}`,
      ...fields,
    };
    return new Promise((resolve) => {
      const pending: Pending = { envelope, resolve };
      this.pending.set(envelope.envelope_id, pending);
      this.sendEnvelope(pending);
    });
  }

  private accept(socket: WebSocket): void {
    this.connections += 1;
    const connection = { socket, number: this.connections };
    this.open.push(connection);
    socket.on('message', (data) => this.onAck(String(data), connection.number));
    socket.on('close', () => this.onClose(connection));
    this.send(socket, {
      type: 'hello',
      num_connections: this.open.length,
      debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18_060 },
      connection_info: { app_id: APP_ID },
    });
    // Envelopes that found no connection, or whose connection closed before the ack, come now.
    for (const pending of this.pending.values()) {
      if (!pending.sentOn) this.sendEnvelope(pending);
      else if (!this.isOpen(pending.sentOn)) this.redeliver(pending);
    }
  }

  private onAck(raw: string, connection: number): void {
    let frame: Json;
    try {
      frame = JSON.parse(raw);
    } catch {
      return; // Slack ignores frames it cannot read
    }
    const pending = this.pending.get(frame?.envelope_id);
    if (!pending) return;
    this.pending.delete(frame.envelope_id);
    const hasPayload = frame.payload && Object.keys(frame.payload).length > 0;
    const ack: Ack = {
      envelope_id: frame.envelope_id,
      connection,
      // A payload is only used where Slack accepts one; elsewhere it is dropped.
      ...(hasPayload && pending.envelope.accepts_response_payload ? { payload: frame.payload } : {}),
    };
    this.acks.push(ack);
    pending.resolve(ack);
  }

  private onClose(connection: { socket: WebSocket; number: number }): void {
    const index = this.open.indexOf(connection);
    if (index >= 0) this.open.splice(index, 1);
    if (this.open.length === 0) return; // the next connection's hello sends them again
    for (const pending of this.pending.values()) {
      if (pending.sentOn === connection.socket) this.redeliver(pending);
    }
  }

  private isOpen(socket: WebSocket): boolean {
    return this.open.some((c) => c.socket === socket);
  }

  private redeliver(pending: Pending): void {
    const { envelope } = pending;
    if (envelope.type === 'events_api') {
      envelope.retry_attempt = (envelope.retry_attempt ?? 0) + 1;
      envelope.retry_reason = 'timeout';
    }
    this.sendEnvelope(pending);
  }

  private sendEnvelope(pending: Pending): void {
    const newest = this.open.at(-1);
    if (!newest) return; // delivered once the app connects (see accept)
    pending.sentOn = newest.socket;
    this.send(newest.socket, pending.envelope);
  }

  private sendToNewest(frame: Json): void {
    const newest = this.open.at(-1);
    if (newest) this.send(newest.socket, frame);
  }

  private send(socket: WebSocket, frame: Json): void {
    this.sent.push(JSON.parse(JSON.stringify(frame)));
    socket.send(JSON.stringify(frame));
  }
}
