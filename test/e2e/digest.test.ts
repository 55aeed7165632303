import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';

const CHANNEL = 'C0DATA001';
const ADMIN = 'U0ADMIN01';
const ANA = 'U0ANA0001';
const SAM = 'U0SAM0001';

describe('daily digest', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  async function start(options: Parameters<typeof startHarness>[0] = {}) {
    h = await startHarness(options);
    h.slack.addUser({ id: ADMIN, is_admin: true });
    for (const id of [ANA, SAM]) h.slack.addUser({ id });
  }

  async function command(text: string, user = ADMIN, channel = CHANNEL): Promise<string> {
    const before = h.slack.responses.length;
    const response = await h.command(text, { user_id: user, channel_id: channel });
    expect(response.status).toBe(200);
    await h.app.idle();
    const later = h.slack.responses.slice(before).map((r) => (r.body as { text: string }).text);
    return [response.json?.text, ...later].filter(Boolean).join('\n');
  }

  let events = 0;
  /** A mention of the bot in CHANNEL (a new task), or a reply in a thread; waits for the answer. */
  async function say(text: string, threadTs?: string): Promise<string> {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    events += 1;
    const event = {
      type: threadTs ? 'message' : 'app_mention',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text,
      ts: message.ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    await postSigned(`${h.app.url}/slack/events`, eventEnvelope(event, { event_id: `EvDigest${events}` }), {
      signingSecret: TEST_SECRETS.signingSecret,
      contentType: 'application/json',
    });
    await h.app.idle();
    return message.ts;
  }

  /** Two answered tasks (one raised a security request) and one waiting on the agent's questions. */
  async function aDaysWork(): Promise<void> {
    await command(`owners set security <@${SAM}>`);
    h.anthropic.script(
      textReply(dataEngineeringAnswer('Orders mart')),
      {
        kind: 'message',
        content: [
          { type: 'text', text: '## Data Engineering Solution: PII vault\n' },
          {
            type: 'tool_use',
            name: 'request_collaboration',
            input: {
              role: 'security',
              topic: 'Column encryption for customer emails',
              request: 'Provide a KMS key and grant decrypt to the analytics role only.',
              reason: 'The mart exposes customer emails.',
            },
          },
        ],
      },
      textReply('### Data Architecture\nEncrypt at rest.'),
      {
        kind: 'message',
        content: [
          {
            type: 'tool_use',
            name: 'ask_clarifying_questions',
            input: { questions: ['How many events a day?'] },
          },
        ],
      },
    );
    await say(`<@${FAKE_BOT_USER_ID}> build an orders mart in Snowflake`);
    await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`);
    await say(`<@${FAKE_BOT_USER_ID}> stream clickstream events`);
  }

  const topLevelBotPosts = () =>
    h.slack.messages.filter((m) => m.channel === CHANNEL && m.bot_id && !m.thread_ts);

  it('digest now posts a parent with the figures and the day’s tasks, questions and requests in its thread', async () => {
    await start();
    await aDaysWork();
    h.anthropic.script(
      textReply('The team designed an orders mart and a PII vault; clickstream waits on volumes.'),
    );
    expect(await command('digest now --post')).toContain('Posted the digest for the last 24 hours');

    const [parent] = topLevelBotPosts();
    expect(parent?.text).toContain('Data engineering digest for <#C0DATA001>');
    expect(parent?.text).toContain(
      '*3* asked · *2* answered · *0* failed · *1* waiting for answers · *1* open collaboration request',
    );
    expect(parent?.text).toContain('The team designed an orders mart');
    const highlightsRequest = h.anthropic.requests.at(-1)?.body;
    expect(highlightsRequest?.model).toBe('claude-haiku-5-5');
    expect(JSON.stringify(highlightsRequest?.messages)).toContain('build an orders mart in Snowflake');

    const details = h.slack
      .threadMessages(CHANNEL, parent?.ts ?? '')
      .map((m) => m.text ?? '')
      .join('\n');
    expect(details).toContain('*Asked (3)*');
    expect(details).toContain('|build an orders mart in Snowflake> — answered');
    expect(details).toContain('|stream clickstream events> — waiting for answers');
    expect(details).not.toContain('asked earlier'); // every answered task was asked today: listed once
    expect(details).toMatch(
      /<https:\/\/fake-workspace\.slack\.com\/archives\/C0DATA001\/p\d+\|build an orders mart in Snowflake>/,
    );
    expect(details).toMatch(
      /\*Waiting for answers to my questions \(1\)\*[\s\S]*stream clickstream events> — waiting on u0ana0001 for/,
    );
    expect(details).toMatch(
      /\*Open collaboration requests \(1\)\*[\s\S]*\*Security\* · <[^|]+\|Column encryption for customer emails> · u0sam0001 · open for \d+ min/,
    );
    expect(details).toMatch(/`claude-sonnet-5-5`: [\d,k.]+ input tokens \(\d+% from cache\)/);
  });

  it('posts the digest without highlights when the small model fails', async () => {
    await start();
    await aDaysWork();
    h.anthropic.script(
      { kind: 'error', status: 500, type: 'api_error' },
      { kind: 'error', status: 500, type: 'api_error' },
    );
    expect(await command('digest now --post')).toContain('Posted the digest');
    const [parent] = topLevelBotPosts();
    expect(parent?.text).toContain('*3* asked');
    expect(parent?.text).not.toContain('designed');
    expect(h.slack.threadMessages(CHANNEL, parent?.ts ?? '').length).toBeGreaterThan(2);
  });

  it('answers bad digest commands specifically', async () => {
    await start();
    expect(await command('digest at 25:00')).toContain('“25:00” isn’t a time of day'.replace('’', "'"));
    expect(await command('digest at 08:30 Mars/Olympus_Mons')).toContain(
      "I don't know the time zone “Mars/Olympus_Mons”",
    );
    expect(await command('digest at')).toContain('takes a time and optionally a time zone');
    expect(await command('digest now', ANA)).toContain('Nothing to report in <#C0DATA001>');
    // Activity in a channel the bot has since been removed from.
    h.slack.addChannel('C0GONE001', { member: false });
    const writer = new Database(h.databasePath);
    writer
      .prepare(
        "insert into tasks (team_id, channel_id, requester_id, source, text, title) values ('T0FAKE001', 'C0GONE001', ?, 'command', 'x', 'x')",
      )
      .run(ANA);
    writer.close();
    expect(await command('digest now --post', ADMIN, 'C0GONE001')).toContain(
      "I'm not a member of <#C0GONE001>",
    );
  });

  it('lets admins set, stop and resume the schedule; others may only look', async () => {
    await start();
    expect(await command('digest at 08:30 Europe/Berlin', ANA)).toContain('only workspace admins');
    expect(await command('digest at 8:30 europe/berlin')).toContain('posts at *08:30* Europe/Berlin');
    expect(await command('digest off')).toContain('*off*');
    expect(await command('digest', ANA)).toContain('*off*');
    expect(await command('digest on')).toContain('posts at *08:30* Europe/Berlin');
    expect(h.query('select time, time_zone, enabled from digest_settings')).toEqual([
      { time: '08:30', time_zone: 'Europe/Berlin', enabled: 1 },
    ]);
  });

  it('posts the scheduled digest missed while down once on start-up, and not again after a restart', async () => {
    // A zone where it is now about 12:xx, with the digest due at 11:00 local: already passed today.
    const offset = 12 - new Date().getUTCHours();
    const zone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    await start({ tuning: { digestScheduler: true }, env: { DIGEST_TIME: '11:00', DIGEST_TIMEZONE: zone } });
    await say(`<@${FAKE_BOT_USER_ID}> build an orders mart in Snowflake`);
    expect(topLevelBotPosts()).toHaveLength(0); // nothing was due when it started on an empty database
    // The task happened three hours ago, before today's 11:00, while the bot was "down".
    const writer = new Database(h.databasePath);
    const earlier = Date.now() - 3 * 3_600_000;
    writer
      .prepare('update tasks set created_at = ?, updated_at = ?, completed_at = ?')
      .run(earlier, earlier, earlier);
    writer.close();

    await h.restart();
    await h.app.idle();
    expect(topLevelBotPosts()).toHaveLength(1);
    expect(topLevelBotPosts()[0]?.text).toContain('*1* asked · *1* answered');
    await h.restart();
    await h.app.idle();
    expect(topLevelBotPosts()).toHaveLength(1);
    expect(h.query('select status from digest_runs')).toEqual([{ status: 'posted' }]);
  });
});
