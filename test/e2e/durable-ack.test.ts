import { fdatasync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataSync } from '../../src/store/wal-sync.js';
import { FAKE_BOT_USER_ID, FAKE_TEAM_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned, slashCommandBody } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0DURABLE1';
const ANA = 'U0ANA0001';

/** Acknowledged means stored, and stored means on disk. */
describe('durable acknowledgements', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const deliver = (event: Record<string, unknown>, eventId: string, retryNum?: number) =>
    postSigned(`${h.app.url}/slack/events`, eventEnvelope(event, { event_id: eventId }), {
      signingSecret: TEST_SECRETS.signingSecret,
      contentType: 'application/json',
      headers: retryNum
        ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_error' }
        : {},
    });

  it('does not acknowledge an event whose SQLite write fails, and answers its retry once', async () => {
    const text = `<@${FAKE_BOT_USER_ID}> design a pipeline for invoices`;
    const message = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text });
    const mention = { type: 'app_mention', channel: CHANNEL, user: ANA, text, ts: message.ts };
    // Another connection makes every delivery record fail, as a full disk or an I/O error would.
    const saboteur = new Database(h.databasePath);
    saboteur.exec(
      "CREATE TRIGGER refuse_deliveries BEFORE INSERT ON events_seen BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
    );
    try {
      const first = await deliver(mention, 'EvDurable1');
      // Not a 200: Slack treats the delivery as failed and sends it again.
      expect(first.status).toBeGreaterThanOrEqual(500);
      await h.app.idle();
      expect(h.query('select * from tasks')).toHaveLength(0);
      expect(h.anthropic.requests).toHaveLength(0);

      saboteur.exec('DROP TRIGGER refuse_deliveries');
      const retry = await deliver(mention, 'EvDurable1', 1);
      expect(retry.status).toBe(200);
      // Acknowledged only after the row is committed: it is there the moment the 200 arrives.
      expect(h.query('select * from tasks')).toHaveLength(1);
      expect((await deliver(mention, 'EvDurable1', 2)).status).toBe(200);
      await h.app.idle();
    } finally {
      saboteur.close();
    }
    expect(h.anthropic.requests).toHaveLength(1);
    const replies = h.slack.threadMessages(CHANNEL, message.ts).filter((m) => m.bot_id);
    expect(replies).toHaveLength(1);
  });

  it('commits on a connection with synchronous = FULL (an acknowledged write survives a power loss)', async () => {
    // Read back by the app from the very connection its task store, group commit and jobs write on.
    const line = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'database open');
    expect(line).toMatchObject({ journalMode: 'wal', synchronous: 'full' });
  });
});

/**
 * A new task's commit skips SQLite's own fsync (it would stop the event loop for the disk) and the WAL
 * is synced on the thread pool instead: the ack must still wait for that sync.
 */
describe('acknowledging only what is on disk', () => {
  let h: Harness;
  /** fdatasync calls held back until the test releases them. */
  const held: (() => void)[] = [];
  const holdingSync: DataSync = (fd, done) => {
    held.push(() => fdatasync(fd, done));
  };
  const release = () => {
    for (const sync of held.splice(0)) sync();
  };
  beforeEach(async () => {
    h = await startHarness({ tuning: { walDataSync: holdingSync } });
  });
  afterEach(async () => {
    release();
    await h.close();
  });

  const answered = (response: Promise<{ status: number }>) => {
    const seen: { status?: number } = {};
    void response.then((r) => {
      seen.status = r.status;
    });
    return seen;
  };

  it('answers a command only after its commit has been synced to disk', async () => {
    const body = slashCommandBody({
      text: 'design a pipeline for invoices',
      team_id: FAKE_TEAM_ID,
      response_url: h.slack.responseUrl(),
    });
    const response = answered(
      postSigned(`${h.app.url}/slack/events`, body, {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/x-www-form-urlencoded',
      }),
    );
    // Committed (another connection sees the task and its job) but not yet on disk: no answer yet.
    await until(() => held.length === 1);
    expect(h.query('select id from tasks')).toHaveLength(1);
    expect(h.query('select id from jobs')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(response.status).toBeUndefined();
    release();
    await until(() => response.status !== undefined);
    expect(response.status).toBe(200);
    await h.app.idle();
  });

  it('answers a mention only after its commit has been synced, and shares one sync within a burst', async () => {
    const mention = (n: number) => {
      const text = `<@${FAKE_BOT_USER_ID}> design pipeline ${n}`;
      const message = h.slack.seedMessage({ channel: CHANNEL, user: `U0ANA000${n}`, text });
      return postSigned(
        `${h.app.url}/slack/events`,
        eventEnvelope(
          { type: 'app_mention', channel: CHANNEL, user: `U0ANA000${n}`, text, ts: message.ts },
          { event_id: `EvSynced${n}` },
        ),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
      );
    };
    const first = answered(mention(1));
    await until(() => held.length === 1);
    // Two more arrive while the first sync is on its way: committed, then both wait for one next sync.
    const later = [answered(mention(2)), answered(mention(3))];
    await until(() => h.query('select id from tasks').length === 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(held).toHaveLength(1);
    expect([first, ...later].map((r) => r.status)).toEqual([undefined, undefined, undefined]);
    release();
    await until(() => first.status !== undefined && held.length === 1);
    expect(later.map((r) => r.status)).toEqual([undefined, undefined]);
    release();
    await until(() => later.every((r) => r.status !== undefined));
    expect([first, ...later].map((r) => r.status)).toEqual([200, 200, 200]);
    await h.app.idle();
  });
});

/** The ack waits for the durable part only, never for a private note to Slack. */
describe('acknowledging an event whose private note is slow', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('answers 200 to a refused mention before its chat.postEphemeral returns', async () => {
    h = await startHarness({ env: { USER_TASKS_PER_HOUR: '1' } });
    const mention = (text: string) => {
      const full = `<@${FAKE_BOT_USER_ID}> ${text}`;
      const message = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text: full });
      return { type: 'app_mention', channel: CHANNEL, user: ANA, text: full, ts: message.ts };
    };
    const deliver = (event: Record<string, unknown>, eventId: string) =>
      postSigned(`${h.app.url}/slack/events`, eventEnvelope(event, { event_id: eventId }), {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
      });
    expect((await deliver(mention('design a pipeline for invoices'), 'EvSlowNote1')).status).toBe(200);
    await h.app.idle();
    // Ana is over her hourly limit now; Slack is slow to take the refusal (a 429 wait, a slow edge).
    const release = h.slack.holdNext('chat.postEphemeral');
    let status: number | undefined;
    const refused = deliver(mention('and another pipeline'), 'EvSlowNote2').then((r) => {
      status = r.status;
    });
    try {
      await until(() => status !== undefined, 10_000);
      expect(status).toBe(200);
      // The refusal is still on its way when Slack has its ack.
      expect(h.slack.callsTo('chat.postEphemeral')).toHaveLength(1);
      expect(h.slack.ephemerals).toHaveLength(0);
    } finally {
      release();
    }
    await refused;
    await h.app.idle();
    expect(h.slack.ephemerals).toHaveLength(1);
    expect(h.slack.ephemerals[0]?.text).toContain('in the last hour');
    expect(h.query('select id from tasks')).toHaveLength(1);
  });
});

describe('a sync the thread pool could not make', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
  });

  it('is made on the loop instead: the command gets its receipt and its task is answered once', async () => {
    let failures = 0;
    const failingOnce: DataSync = (fd, done) => {
      if (failures++ === 0) done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      else fdatasync(fd, done);
    };
    h = await startHarness({ tuning: { walDataSync: failingOnce } });
    const harness = h;
    const body = slashCommandBody({
      text: 'design a pipeline for refunds',
      team_id: FAKE_TEAM_ID,
      response_url: harness.slack.responseUrl(),
    });
    const response = await postSigned(`${harness.app.url}/slack/events`, body, {
      signingSecret: TEST_SECRETS.signingSecret,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(200);
    expect(response.text).not.toMatch(/couldn't save/i);
    await harness.app.idle();
    expect(failures).toBeGreaterThan(0);
    expect(harness.query('select status from tasks')).toEqual([{ status: 'done' }]);
    expect(harness.anthropic.requests.filter((r) => r.path === '/v1/messages')).toHaveLength(1);
  });
});
