import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, AuthorizationError, type ReceiverEvent, ReceiverMultipleAckError } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { toBoltLogger } from '../../src/slack/bolt-logger.js';
import { checkSlackRequest } from '../../src/slack/request-guard.js';
import { SlackRequestReceiver } from '../../src/slack/request-receiver.js';

/**
 * The receiver Bolt gets in HTTP mode, behind the request guard: what it answers for each way a
 * listener can end, over a real HTTP connection. (Every e2e test drives it with signed requests too.)
 */

type Listener = (event: ReceiverEvent) => Promise<void>;

let server: Server | undefined;
let logged: { level: string; message: string }[] = [];

const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message) => logged.push({ level: 'warn', message }),
  error: (message) => logged.push({ level: 'error', message }),
  child: () => logger,
};

/** A server whose every request body (JSON) is handed to the receiver as the guard would hand it. */
async function serve(listener: Listener | undefined): Promise<string> {
  return serveWith((receiver) => {
    if (listener) receiver.init({ processEvent: listener });
  });
}

/** `setUp` gives the receiver its app (or none). */
async function serveWith(setUp: (receiver: SlackRequestReceiver) => void): Promise<string> {
  const receiver = new SlackRequestReceiver(logger);
  setUp(receiver);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => receiver.requestListener(req, res, JSON.parse(Buffer.concat(chunks).toString())));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function post(url: string, body: object, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

afterEach(async () => {
  logged = [];
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('SlackRequestReceiver', () => {
  it('answers ssl_check and url_verification itself, without the app', async () => {
    const seen: ReceiverEvent[] = [];
    const url = await serve(async (event) => {
      seen.push(event);
    });
    expect(await post(url, { ssl_check: '1', token: 'x' })).toMatchObject({ status: 200, text: '' });
    expect(await post(url, { type: 'url_verification', challenge: 'c-42' })).toEqual({
      status: 200,
      type: 'application/json',
      text: '{"challenge":"c-42"}',
    });
    expect(seen).toHaveLength(0);
  });

  it('sends what ack() is given (an object as JSON, a string as text, nothing as an empty 200) and passes the parsed body and retry headers', async () => {
    const seen: ReceiverEvent[] = [];
    const url = await serve(async (event) => {
      seen.push(event);
      await event.ack(event.body.reply);
    });
    expect(await post(url, { command: '/de', reply: { text: 'on it' } })).toEqual({
      status: 200,
      type: 'application/json',
      text: '{"text":"on it"}',
    });
    expect(await post(url, { reply: 'plain' })).toMatchObject({ status: 200, text: 'plain' });
    expect(
      await post(
        url,
        { type: 'event_callback' },
        { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' },
      ),
    ).toMatchObject({ status: 200, text: '' });
    expect(seen[0]?.body).toEqual({ command: '/de', reply: { text: 'on it' } });
    expect(seen[0]).toMatchObject({ retryNum: undefined, retryReason: undefined });
    expect(seen[2]).toMatchObject({ retryNum: 2, retryReason: 'http_timeout' });
  });

  it('a second ack() throws and sends nothing more', async () => {
    let second: unknown;
    const url = await serve(async (event) => {
      await event.ack('first');
      second = await event.ack('second').catch((error: unknown) => error);
    });
    expect(await post(url, {})).toMatchObject({ status: 200, text: 'first' });
    expect(second).toBeInstanceOf(ReceiverMultipleAckError);
  });

  it('a failure before the ack answers 500 (401 for a workspace that is not authorized); after it, it is only logged', async () => {
    let mode: 'fail' | 'unauthorized' | 'after' = 'fail';
    const url = await serve(async (event) => {
      if (mode === 'after') await event.ack();
      if (mode === 'unauthorized') throw new AuthorizationError('no install', new Error('none'));
      throw new Error('the event could not be stored');
    });
    expect((await post(url, {})).status).toBe(500);
    mode = 'unauthorized';
    expect((await post(url, {})).status).toBe(401);
    mode = 'after';
    expect(await post(url, {})).toMatchObject({ status: 200, text: '' });
    expect(logged.map((l) => l.level)).toEqual(['error', 'error']);
  });

  it('a request no listener acknowledged gets a 500 and a warning, not a hang; before init, 503', async () => {
    const url = await serve(async () => undefined);
    expect((await post(url, { type: 'block_actions' })).status).toBe(500);
    expect(logged).toEqual([expect.objectContaining({ level: 'warn' })]);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    const early = await serve(undefined);
    expect((await post(early, { command: '/de' })).status).toBe(503);
  });

  it('with the real Bolt app: a listener that fails before its ack gets a 500 (app.error only logs it), not a silent 200', async () => {
    let ran = false;
    const url = await serveWith((receiver) => {
      const app = new App({
        receiver,
        token: 'xoxb-test',
        botId: 'B1',
        botUserId: 'U0BOT',
        tokenVerificationEnabled: false,
        logger: toBoltLogger(logger),
      });
      app.view('feedback_note', async () => {
        ran = true;
        throw new Error('the note could not be stored');
      });
      app.error(async () => undefined);
    });
    const submission = {
      type: 'view_submission',
      team: { id: 'T1' },
      user: { id: 'U1', team_id: 'T1' },
      view: { id: 'V1', callback_id: 'feedback_note', type: 'modal', state: { values: {} } },
    };
    expect((await post(url, submission)).status).toBe(500);
    expect(ran).toBe(true);
  });

  it('the guard hands on only the flag of an ssl_check, whatever else the form holds', () => {
    const checked = checkSlackRequest(
      Buffer.from('ssl_check=1&ssl_check=0&command=%2Fx'),
      { 'content-type': 'application/x-www-form-urlencoded' },
      undefined,
    );
    expect(checked).toEqual({ body: { ssl_check: '1' } });
  });
});
