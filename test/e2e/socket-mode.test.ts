import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupError, startApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { FAKE_TEAM_ID, type FakeMessage, startFakeSlack } from '../support/fake-slack.js';
import { FAKE_APP_TOKEN } from '../support/fake-socket-mode/index.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { blockActionsBody, eventEnvelope, slashCommandBody } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';
const ANSWER = dataEngineeringAnswer('Socket pipeline');
/** Slow enough (seconds) that the answer is still streaming when the test intervenes. */
const SLOW = { tokensPerSecond: 40 };

/**
 * Socket Mode (SLACK_APP_TOKEN set): the same app, listeners and guarantees as over HTTP, with every
 * request arriving as an envelope on a WebSocket the fake Slack serves, and every ack going back on it.
 */
describe('Socket Mode', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const socket = () => h.slack.socketMode;
  const start = async () => {
    h = await startHarness({ env: { SLACK_APP_TOKEN: FAKE_APP_TOKEN } });
  };
  const command = (text: string) =>
    socket().slashCommand(
      Object.fromEntries(
        new URLSearchParams(
          slashCommandBody({ text, channel_id: CHANNEL, user_id: ANA, response_url: h.slack.responseUrl() }),
        ),
      ),
    );
  const event = (e: Record<string, unknown>, eventId: string) =>
    socket().event(JSON.parse(eventEnvelope(e, { event_id: eventId })));
  const parent = () => h.slack.messages.find((m) => m.channel === CHANNEL && m.bot_id && !m.thread_ts);
  const replies = (): FakeMessage[] => {
    const root = parent();
    return root ? h.slack.threadMessages(CHANNEL, root.ts).filter((m) => m.ts !== root.ts && m.bot_id) : [];
  };
  /** A human reply in the task's thread, seeded in the fake Slack, as its `message` event. */
  const reply = (text: string) => {
    const threadTs = parent()?.ts ?? '';
    const message = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text, thread_ts: threadTs });
    return {
      type: 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text,
      ts: message.ts,
      thread_ts: threadTs,
    };
  };
  /** Each envelope Slack sent was acked exactly once. */
  const expectEachEnvelopeAckedOnce = () => {
    const sent = new Set(
      socket()
        .sent.filter((f) => f.envelope_id)
        .map((f) => f.envelope_id as string),
    );
    const acked = socket().acks.map((a) => a.envelope_id);
    expect(new Set(acked)).toEqual(sent);
    expect(acked).toHaveLength(sent.size);
  };

  it('opens its socket through SLACK_API_URL with the app token, which Slack only opens for an app-level token', async () => {
    await start();
    const [opened] = h.slack.callsTo('apps.connections.open');
    expect(opened?.token).toBe(FAKE_APP_TOKEN);
    expect(opened?.response).toMatchObject({ ok: true });
    expect(socket().connections).toBe(1);
    expect(socket().sent[0]).toMatchObject({ type: 'hello' });
    // As Slack: only an app-level token may open a connection.
    const open = async (token?: string) => {
      const response = await fetch(`${h.slack.apiUrl}apps.connections.open`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return ((await response.json()) as { error?: string }).error;
    };
    expect(await open()).toBe('not_authed');
    expect(await open(TEST_SECRETS.botToken)).toBe('not_allowed_token_type');
    expect(await open('xapp-1-A0OTHER-1-wrong')).toBe('invalid_auth');
  });

  it('takes a task from a slash-command envelope, acks it with the receipt, and answers once', async () => {
    await start();
    const ack = await command('design a pipeline for user analytics');
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(String(ack.payload?.text)).toContain('thread');
    await h.app.idle();
    expect(parent()?.text).toContain('design a pipeline for user analytics');
    expect(replies()).toHaveLength(1);
    expect(replies()[0]?.markdown_text?.trim()).toBe(dataEngineeringAnswer().trim());
    expect(h.query('select status, team_id from tasks')).toEqual([{ status: 'done', team_id: FAKE_TEAM_ID }]);
    expectEachEnvelopeAckedOnce();
  });

  it('answers a follow-up event in the thread, and a redelivered event only once', async () => {
    await start();
    h.anthropic.script(textReply(ANSWER), textReply('## Data Engineering Solution: Hourly\nUse CDC.'));
    await command('design a pipeline for user analytics');
    await h.app.idle();
    const followUp = reply('Can it refresh hourly instead of daily?');
    const ack = await event(followUp, 'EvSocketFollowUp');
    expect(ack.payload).toBeUndefined();
    // Slack delivers the same event again (its retry): same event_id, so no second answer.
    await socket().event(JSON.parse(eventEnvelope(followUp, { event_id: 'EvSocketFollowUp' })), {
      attempt: 1,
      reason: 'timeout',
    });
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(2);
    expect(replies()).toHaveLength(2);
    expect(replies()[1]?.markdown_text).toContain('Use CDC.');
    expectEachEnvelopeAckedOnce();
  });

  it('a Stop button click arriving as an interactive envelope stops the answer', async () => {
    await start();
    h.anthropic.setDefault(textReply(ANSWER, SLOW));
    await command('design a pipeline for refunds');
    const stopControl = () => replies().find((m) => JSON.stringify(m.blocks ?? []).includes('task_stop'));
    await until(() => stopControl() !== undefined && h.slack.callsTo('chat.appendStream').length >= 2);
    const click = JSON.parse(
      new URLSearchParams(
        blockActionsBody({
          userId: ANA,
          channelId: CHANNEL,
          messageTs: stopControl()?.ts ?? '',
          actionId: 'task_stop',
          value: '1',
          responseUrl: h.slack.responseUrl(),
        }),
      ).get('payload') ?? '{}',
    );
    const ack = await socket().interactive(click);
    expect(ack.payload).toBeUndefined();
    await until(() => h.anthropic.requests[0]?.closedByClient === true);
    await h.app.idle();
    expect(replies().filter((m) => /Stopped/.test(m.text ?? ''))).toHaveLength(1);
    expect(h.query('select status from tasks')).toEqual([{ status: 'done' }]);
    expectEachEnvelopeAckedOnce();
  });

  it('reconnects when Slack asks mid-answer (refresh), losing and repeating no task', async () => {
    await start();
    h.anthropic.script(
      textReply(ANSWER, { tokensPerSecond: 150 }),
      textReply('## Data Engineering Solution: Hourly\nUse CDC.'),
    );
    await command('design a pipeline for user analytics');
    await until(() => h.slack.callsTo('chat.appendStream').length >= 2);
    // An event arrives just as Slack asks for a new connection: acked on either, answered once.
    const racing = event(reply('Can it refresh hourly instead of daily?'), 'EvRacingRefresh');
    socket().disconnect('refresh_requested');
    await until(() => socket().connections === 2 && socket().openConnections === 1);
    expect(h.slack.callsTo('apps.connections.open')).toHaveLength(2);
    await racing;
    await h.app.idle();
    // The answer in progress was not disturbed; the follow-up was answered after it, once.
    expect(h.query('select count(*) as n from tasks')).toEqual([{ n: 1 }]);
    expect(h.anthropic.requests).toHaveLength(2);
    const answers = replies().filter((m) => m.markdown_text !== undefined);
    expect(answers).toHaveLength(2);
    expect(answers[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
    expect(answers[1]?.markdown_text).toContain('Use CDC.');
    // Work after the reconnect arrives on the new connection and is answered too.
    const second = await command('design a pipeline for refunds');
    expect(second.connection).toBe(2);
    await h.app.idle();
    expect(h.query('select count(*) as n from tasks')).toEqual([{ n: 2 }]);
    expect(new Set(socket().acks.map((a) => a.envelope_id)).size).toBe(socket().acks.length);
  });

  it('a graceful stop closes the socket, finishes the answer in progress, and the next start takes what came meanwhile', async () => {
    await start();
    h.anthropic.script(textReply(ANSWER, { firstTokenDelayMs: 300 }));
    await command('design a pipeline');
    await until(() => h.anthropic.requests.length === 1);
    const stopping = h.app.stop({ graceMs: 10_000 });
    await until(() => socket().openConnections === 0);
    // Slack holds an event while no connection is open, and delivers it to the next one.
    const meanwhile = event(reply('And what about late events?'), 'EvWhileStopped');
    await stopping;
    expect(h.query('select status from tasks')).toEqual([{ status: 'done' }]);
    expect(replies().filter((m) => m.markdown_text !== undefined)).toHaveLength(1);
    expect(h.anthropic.requests).toHaveLength(1);

    h.anthropic.setDefault(textReply('## Data Engineering Solution: Late events\nUse watermarks.'));
    await h.restart();
    await meanwhile;
    await h.app.idle();
    const answers = replies().filter((m) => m.markdown_text !== undefined);
    expect(answers).toHaveLength(2);
    expect(answers[1]?.markdown_text).toContain('Use watermarks.');
    expectEachEnvelopeAckedOnce();
  });

  it('refuses to start with a clear message when Slack rejects the app token, and leaves nothing open', async () => {
    const slack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'deb-socket-'));
    try {
      const parsed = parseConfig({
        SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
        SLACK_APP_TOKEN: 'xapp-1-A0FAKEAPP1-1-revoked',
        SLACK_API_URL: slack.apiUrl,
        ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
        DATABASE_PATH: join(dir, 'bot.db'),
        PORT: '0',
        HOST: '127.0.0.1',
      });
      if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
      const logs: string[] = [];
      const logger = createLogger({
        level: 'warn',
        secrets: parsed.config.secrets,
        sink: (l) => logs.push(l),
      });
      const started = startApp(parsed.config, logger, { digestScheduler: false });
      await expect(started).rejects.toThrow(StartupError);
      await expect(started).rejects.toThrow(/Slack refused SLACK_APP_TOKEN \(invalid_auth\)/);
      expect(slack.socketMode.connections).toBe(0);
      expect(logs.join('\n')).not.toContain('xapp-1-A0FAKEAPP1-1-revoked');
    } finally {
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
