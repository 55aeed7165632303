import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collaborationRound, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { blockActionsBody, eventEnvelope, postSigned } from '../support/slack-signing.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';
const BEN = 'U0BEN0001';
const DAY_MS = 24 * 60 * 60 * 1000;

// biome-ignore lint/suspicious/noExplicitAny: Slack events are free-form JSON.
type SlackEvent = Record<string, any>;

/** Stored data has a lifetime, and follows Slack when a message is deleted or edited. */
describe('retention', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { RETENTION_DAYS: '30' } });
  });
  afterEach(async () => {
    await h.close();
  });

  let events = 0;
  async function deliver(event: SlackEvent): Promise<void> {
    events += 1;
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(event, { event_id: `EvKeep${events}` }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
    );
    expect(response.status).toBe(200);
    await h.app.idle();
  }

  async function say(user: string, text: string, threadTs?: string): Promise<SlackEvent> {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user,
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    const event = {
      type: text.includes(`<@${FAKE_BOT_USER_ID}>`) ? 'app_mention' : 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user,
      text,
      ts: message.ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    await deliver(event);
    return event;
  }

  /** Slack's `message_deleted` event for a message (hidden, with `deleted_ts` and `previous_message`). */
  const deleted = (original: SlackEvent): SlackEvent => ({
    type: 'message',
    subtype: 'message_deleted',
    hidden: true,
    channel: CHANNEL,
    channel_type: 'channel',
    ts: `${Math.floor(Date.now() / 1000)}.999001`,
    deleted_ts: original.ts,
    event_ts: `${Math.floor(Date.now() / 1000)}.999001`,
    previous_message: {
      type: 'message',
      user: original.user,
      text: original.text,
      ts: original.ts,
      ...(original.thread_ts ? { thread_ts: original.thread_ts } : {}),
    },
  });

  /** Slack's `message_changed` event (hidden, the new `message` and the `previous_message`). */
  const changed = (original: SlackEvent, text: string): SlackEvent => ({
    type: 'message',
    subtype: 'message_changed',
    hidden: true,
    channel: CHANNEL,
    channel_type: 'channel',
    ts: `${Math.floor(Date.now() / 1000)}.999002`,
    event_ts: `${Math.floor(Date.now() / 1000)}.999002`,
    message: {
      type: 'message',
      user: original.user,
      text,
      ts: original.ts,
      edited: { user: original.user, ts: `${Math.floor(Date.now() / 1000)}.999002` },
      ...(original.thread_ts ? { thread_ts: original.thread_ts } : {}),
    },
    previous_message: { type: 'message', user: original.user, text: original.text, ts: original.ts },
  });

  const turnsLike = (text: string) =>
    h.query<{ content: string }>('select content from turns where content like ?', `%${text}%`);

  it('prunes conversations idle for longer than RETENTION_DAYS and old deliveries at start-up', async () => {
    await say(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline for the 2025 audit`);
    const active = await say(BEN, `<@${FAKE_BOT_USER_ID}> design a pipeline for invoices`);
    await say(ANA, 'and keep it incremental please', active.ts);
    // Age the rows as the calendar would: both tasks started 31 days ago, but the invoices thread got
    // a reply yesterday. A writable connection stands in for the passing time.
    const writer = new Database(h.databasePath);
    try {
      const longAgo = Date.now() - 31 * DAY_MS;
      writer.prepare('update tasks set created_at = ?, updated_at = ?').run(longAgo, longAgo);
      writer.prepare('update turns set created_at = ?').run(longAgo);
      writer.prepare('update events_seen set created_at = ?').run(longAgo);
      writer
        .prepare("update turns set created_at = ? where role = 'user' and content like '%incremental%'")
        .run(Date.now() - DAY_MS);
    } finally {
      writer.close();
    }
    await h.restart(); // pruning runs at start-up (then every 24 h)

    const tasks = h.query<{ title: string }>('select title from tasks');
    expect(tasks.map((t) => t.title)).toEqual(['design a pipeline for invoices']);
    expect(turnsLike('2025 audit')).toHaveLength(0);
    // The conversation still in use keeps its earlier turns, which its answers depend on.
    expect(turnsLike('pipeline for invoices')).toHaveLength(1);
    expect(h.query('select * from events_seen')).toHaveLength(0);
    expect(h.logs.some((l) => l.includes('pruned stored data older than RETENTION_DAYS'))).toBe(true);
  });

  it("prunes the data tools' audit rows RETENTION_DAYS after the call, whatever became of the task", async () => {
    const writer = new Database(h.databasePath);
    try {
      const insert = writer.prepare(
        "insert into data_tool_calls (team_id, channel_id, user_id, task_id, source_name, tool, statement, created_at) values ('T0FAKE001', 'C0DATA001', ?, 1, 'warehouse', 'run_query', ?, ?)",
      );
      insert.run(ANA, 'SELECT old', Date.now() - 31 * DAY_MS);
      insert.run(ANA, 'SELECT recent', Date.now() - 29 * DAY_MS);
    } finally {
      writer.close();
    }
    await h.restart(); // pruning runs at start-up (then every 24 h)
    expect(h.query('select statement from data_tool_calls')).toEqual([{ statement: 'SELECT recent' }]);
  });

  it('keeps an old conversation whose collaboration request is not done yet', async () => {
    h.anthropic.script(collaborationRound(), textReply('Done.'));
    await say(ANA, `<@${FAKE_BOT_USER_ID}> design an orders mart with customer PII`);
    await say(BEN, `<@${FAKE_BOT_USER_ID}> design a pipeline for the 2025 audit`);
    expect(h.query('select id from collaboration_requests')).toHaveLength(1);
    // 31 days pass: both conversations went quiet, but security never answered the request.
    const writer = new Database(h.databasePath);
    try {
      const longAgo = Date.now() - 31 * DAY_MS;
      writer.prepare('update tasks set created_at = ?, updated_at = ?').run(longAgo, longAgo);
      writer.prepare('update turns set created_at = ?').run(longAgo);
      writer.prepare('update collaboration_requests set created_at = ?').run(longAgo);
    } finally {
      writer.close();
    }
    await h.restart();

    const tasks = h.query<{ title: string }>('select title from tasks');
    expect(tasks.map((t) => t.title)).toEqual(['design an orders mart with customer PII']);
    expect(h.query<{ status: string }>('select status from collaboration_requests')).toEqual([
      { status: 'open' },
    ]);
    expect(turnsLike('2025 audit')).toHaveLength(0);
  });

  it('keeps a conversation for RETENTION_DAYS after its last collaboration request was marked done', async () => {
    h.slack.addUser({ id: ANA, is_admin: true });
    h.slack.addUser({ id: BEN });
    expect(
      (await h.command(`owners set security <@${BEN}>`, { user_id: ANA, channel_id: CHANNEL })).status,
    ).toBe(200);
    await h.app.idle();
    h.anthropic.script(collaborationRound(), textReply('Done.'));
    await say(ANA, `<@${FAKE_BOT_USER_ID}> design an orders mart with customer PII`);
    const [request] = h.query<{ id: number; ping_ts: string }>(
      'select id, ping_ts from collaboration_requests',
    );
    if (!request?.ping_ts) throw new Error('the ping was not posted');
    const done = await postSigned(
      `${h.app.url}/slack/events`,
      blockActionsBody({
        userId: BEN,
        channelId: CHANNEL,
        messageTs: request.ping_ts,
        actionId: 'collaboration_done',
        value: String(request.id),
        responseUrl: h.slack.responseUrl(),
      }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
    );
    expect(done.status).toBe(200);
    await h.app.idle();
    expect(h.query('select status from collaboration_requests')).toEqual([{ status: 'done' }]);
    // Everything happened 40 days ago, except that security marked the request done 10 days ago.
    const age = (doneDaysAgo: number) => {
      const writer = new Database(h.databasePath);
      try {
        const longAgo = Date.now() - 40 * DAY_MS;
        writer.prepare('update tasks set created_at = ?, updated_at = ?').run(longAgo, longAgo);
        writer.prepare('update turns set created_at = ?').run(longAgo);
        writer
          .prepare('update collaboration_requests set created_at = ?, acknowledged_at = ?, done_at = ?')
          .run(longAgo, longAgo, Date.now() - doneDaysAgo * DAY_MS);
      } finally {
        writer.close();
      }
    };
    age(10);
    await h.restart();
    expect(h.query('select id from tasks')).toHaveLength(1);
    // 31 days after it was done, the conversation goes like any other.
    age(31);
    await h.restart();
    expect(h.query('select id from tasks')).toHaveLength(0);
    expect(h.query('select id from collaboration_requests')).toHaveLength(0);
  });

  it('deletes a reply deleted in Slack and updates one edited in Slack, before the model reads them again', async () => {
    const mention = await say(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline for orders`);
    const secret = await say(BEN, 'our prod password is hunter2, use it for the loader', mention.ts);
    const typo = await say(ANA, 'we load 10 rows a day', mention.ts);
    expect(turnsLike('hunter2')).toHaveLength(1);

    await deliver(deleted(secret));
    await deliver(changed(typo, 'we load 10 million rows a day'));
    await deliver(changed(mention, `<@${FAKE_BOT_USER_ID}> design a pipeline for orders and refunds`));
    expect(turnsLike('hunter2')).toHaveLength(0);
    expect(turnsLike('10 rows a day')).toHaveLength(0);
    expect(turnsLike('10 million rows a day')).toHaveLength(1);
    expect(h.query('select title from tasks')).toEqual([
      { title: 'design a pipeline for orders and refunds' },
    ]);

    h.anthropic.script(textReply('Partition by day.'));
    await say(ANA, 'what about partitioning?', mention.ts);
    const sent = JSON.stringify(h.anthropic.requests.at(-1)?.body.messages);
    expect(sent).not.toContain('hunter2');
    expect(sent).toContain('10 million rows a day');
    expect(sent).toContain('design a pipeline for orders and refunds');
  });

  it('keeps a deleted request as a placeholder and drops a deleted thread message quoted as context', async () => {
    const root = await say(BEN, 'The nightly export of orders takes 3h');
    const bystander = await say(BEN, 'fyi my phone is +1 555 0100', root.ts);
    const ask = await say(ANA, `<@${FAKE_BOT_USER_ID}> can you propose a fix?`, root.ts);
    expect(turnsLike('555 0100')).toHaveLength(1); // quoted in the first turn as thread context

    await deliver(deleted(bystander));
    expect(turnsLike('555 0100')).toHaveLength(0);
    expect(turnsLike('nightly export of orders')).toHaveLength(1);

    await deliver(deleted(ask));
    expect(turnsLike('propose a fix')).toHaveLength(0);
    expect(turnsLike('deleted in Slack')).toHaveLength(1);
    expect(h.query<{ text: string }>('select text from tasks')[0]?.text).not.toContain('propose a fix');
  });
});
