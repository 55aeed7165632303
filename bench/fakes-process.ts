import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dataEngineeringAnswer, startFakeAnthropic } from '../test/support/fake-anthropic.js';
import type { FakeWorkspace } from '../test/support/fake-slack/workspaces.js';
import { type FakeSlack, startFakeSlack } from '../test/support/fake-slack.js';
import { isFeedbackPrompt } from '../test/support/feedback.js';

const root = resolve(fileURLToPath(import.meta.url), '../..');

export interface FakesModel {
  firstTokenDelayMs: number;
  tokensPerSecond: number;
  /** The answer the fake model streams for every request (default: dataEngineeringAnswer()). */
  answer?: string;
}

/** A bot message as the fake Slack holds it, trimmed for the bench (no chunks, no blocks). */
export interface RecordedMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  bot_id?: string;
  /** The first 300 characters of `text`. */
  text?: string;
  streaming_state?: 'in_progress' | 'completed';
  /** Its markdown is the fake model's whole answer. */
  completeAnswer: boolean;
  feedbackPrompt: boolean;
}

/** A Web API call that writes to Slack, with its arrival as epoch milliseconds. */
export interface RecordedWrite {
  method: string;
  channel?: string;
  thread_ts?: string;
  ts?: string;
  /** The first 300 characters of `text`. */
  text?: string;
  ok: boolean;
  atEpochMs: number;
}

export interface FakesRecord {
  messages: RecordedMessage[];
  writes: RecordedWrite[];
}

export interface FakesProcess {
  slackApiUrl: string;
  anthropicUrl: string;
  /** The fakes' control side (see `control`), for benchmarks driving bots in other processes. */
  controlUrl: string;
  stop(): Promise<void>;
}

/**
 * Runs the fake Slack and fake Anthropic servers in a child process, so a benchmark of the bot's
 * own latency is not charged for the CPU the fakes spend streaming and validating.
 */
export async function startFakesProcess(model: FakesModel): Promise<FakesProcess> {
  const loader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(
    process.execPath,
    ['--import', loader, fileURLToPath(import.meta.url), '--serve', JSON.stringify(model)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const firstLine = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', done);
    child.once('exit', () => fail(new Error('the fakes process exited before it started')));
  });
  const urls = JSON.parse(firstLine) as { slackApiUrl: string; anthropicUrl: string; controlUrl: string };
  return {
    ...urls,
    stop: async () => {
      child.stdin.end();
      await new Promise((done) => child.once('exit', done));
    },
  };
}

/** Calls the fakes' control side: `POST <path>` with a JSON body, or `GET` without one. */
export async function control<T>(fakes: FakesProcess, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${fakes.controlUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (!response.ok) throw new Error(`fakes control ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const WRITES = new Set([
  'chat.postMessage',
  'chat.update',
  'chat.startStream',
  'chat.appendStream',
  'chat.stopStream',
  'chat.postEphemeral',
  'assistant.threads.setStatus',
  'reactions.add',
  'files.completeUploadExternal',
]);

const head = (value: unknown) => (typeof value === 'string' ? value.slice(0, 300) : undefined);

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/**
 * The control side of the fakes, on its own port: seeding (channels, users), the consent step of an
 * OAuth install (a code as Slack's redirect carries it), response URLs, and the record of what the
 * bots wrote to Slack (trimmed), read by the benchmark at the end.
 */
function controlServer(slack: FakeSlack, answer: string) {
  const routes: Record<string, (body: never) => unknown> = {
    '/channels': (body: { channels: { id: string; team?: string; name?: string }[] }) => {
      for (const { id, ...opts } of body.channels) slack.addChannel(id, { member: true, ...opts });
      return { ok: true };
    },
    '/users': (body: { users: { id: string; team_id?: string }[] }) => {
      for (const user of body.users) slack.addUser(user);
      return { ok: true };
    },
    '/messages': (body: { messages: { channel: string; ts: string; user: string; text: string }[] }) => {
      for (const message of body.messages) slack.seedMessage(message);
      return { ok: true };
    },
    '/approve-install': (body: { workspace: FakeWorkspace; installer: string }) => ({
      code: slack.workspaces.approveInstall(body.workspace, body.installer),
    }),
    '/response-urls': (body: { count: number }) => ({
      urls: Array.from({ length: body.count }, () => slack.responseUrl()),
    }),
    // Cheap enough to poll: answers whose stream completed with the whole answer.
    '/progress': () => ({
      completeAnswers: slack.messages.filter((m) => m.bot_id && m.markdown_text?.trim() === answer).length,
    }),
    '/record': (): FakesRecord => ({
      messages: slack.messages
        .filter((m) => m.bot_id)
        .map((m) => ({
          channel: m.channel,
          ts: m.ts,
          ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
          bot_id: m.bot_id,
          text: head(m.text),
          ...(m.streaming_state ? { streaming_state: m.streaming_state } : {}),
          completeAnswer: m.markdown_text?.trim() === answer,
          feedbackPrompt: isFeedbackPrompt(m),
        })),
      writes: slack.calls
        .filter((c) => WRITES.has(c.method))
        .map((c) => ({
          method: c.method,
          channel: c.args.channel ?? c.args.channel_id,
          thread_ts: c.args.thread_ts,
          ts: c.args.ts ?? c.response?.ts,
          text: head(c.args.text ?? c.args.markdown_text),
          ok: c.response?.ok === true,
          atEpochMs: performance.timeOrigin + c.at,
        })),
    }),
  };
  return createServer((req, res) => {
    const route = routes[(req.url ?? '').replace(/^\/control/, '').split('?')[0] ?? ''];
    readJson(req)
      .then((body) => {
        if (!route) throw new Error(`no route ${req.url}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(route(body as never)));
      })
      .catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
  });
}

async function serve(model: FakesModel): Promise<void> {
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  const answer = model.answer ?? dataEngineeringAnswer();
  anthropic.setDefault({
    kind: 'message',
    content: [{ type: 'text', text: answer }],
    firstTokenDelayMs: model.firstTokenDelayMs,
    tokensPerSecond: model.tokensPerSecond,
  });
  const controller = controlServer(slack, answer.trim());
  await new Promise<void>((done) => controller.listen(0, '127.0.0.1', done));
  const controlUrl = `http://127.0.0.1:${(controller.address() as AddressInfo).port}/control`;
  process.stdout.write(
    `${JSON.stringify({ slackApiUrl: slack.apiUrl, anthropicUrl: anthropic.url, controlUrl })}\n`,
  );
  // The parent closes our stdin when it is done (or dies): shut down then.
  process.stdin.resume();
  process.stdin.on('end', async () => {
    controller.close();
    await Promise.all([slack.close(), anthropic.close()]);
    process.exit(0);
  });
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) await serve(JSON.parse(process.argv[serveAt + 1] ?? '{}'));
