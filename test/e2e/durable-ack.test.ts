import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';

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
