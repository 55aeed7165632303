import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type MessageReply,
  ORDERS_DDL,
  ORDERS_SAMPLE,
  sqlToolRound,
  textReply,
} from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { buttonClickBody, viewSubmissionBody } from '../support/feedback.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { startPgliteServer } from '../support/pglite-server.js';
import { seedPostgresWarehouse } from '../support/sample-warehouse.js';
import { postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

/**
 * Issue 17 end to end: an answer proposes two checks (validated on its synthetic data in the sandbox);
 * the requester adopts them against the PostgreSQL source (PGlite over the wire) hourly; a clock the
 * test moves runs three slots while the seeded data breaks one check and then fixes it. The thread
 * hears exactly one failure (naming the QA owner) and one recovery, even when the failure post lands
 * but Slack answers 500 and the bot restarts.
 */

const CHANNEL = 'C0QUALITY';
const ANA = 'U0ANA0001';
const ADMIN = 'U0ADMIN01';
const QUINN = 'U0QUINN01';

const proposeRound = (checks: unknown[]): MessageReply => ({
  kind: 'message',
  content: [{ type: 'tool_use', name: 'propose_quality_checks', input: { checks } }],
});

/** A PostgreSQL with the sample warehouse in a database of its own: PGlite, or the real server of CI. */
interface Warehouse {
  url: string;
  stop(): Promise<void>;
}

async function pgliteWarehouse(): Promise<Warehouse> {
  return startPgliteServer();
}

/** A throwaway database on the real server (.ci/run's TEST_DATABASE_URL), so no other test's rows move. */
async function realWarehouse(): Promise<Warehouse> {
  const adminUrl = process.env.TEST_DATABASE_URL as string;
  const name = `deb_checks_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const ENGINES: [string, () => Promise<Warehouse>][] = [
  ['PGlite', pgliteWarehouse],
  ...(process.env.TEST_DATABASE_URL
    ? [['a real PostgreSQL', realWarehouse] as [string, () => Promise<Warehouse>]]
    : []),
];

describe.each(ENGINES)('scheduled quality checks on %s', (_engine, startWarehouse) => {
  let h: Harness;
  let warehouse: Warehouse;
  let client: pg.Client;
  // Slots a few hours back from the real time, so `digest now` (the last 24 hours) covers them.
  const HOUR = 3_600_000;
  const base = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  const at = (hours: number, minutes = 0) => new Date(base + hours * HOUR + minutes * 60_000);
  const slotText = (hours: number) => at(hours).toISOString().replace('T', ' ').slice(0, 19);
  let clock = at(0, 5);

  beforeAll(async () => {
    warehouse = await startWarehouse();
    client = new pg.Client({ connectionString: warehouse.url });
    await client.connect();
    await seedPostgresWarehouse(client);
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await warehouse?.stop();
  });
  afterEach(async () => {
    await h?.close();
  });

  const lastResponse = () => JSON.stringify(h.slack.responses.at(-1)?.body ?? {});

  /** `/data-engineer digest now`: the last 24 hours of the channel, shown to the asker. */
  async function digestNow(): Promise<string> {
    const before = h.slack.responses.length;
    await h.command('digest now', { user_id: ANA, channel_id: CHANNEL });
    await until(() => h.slack.responses.length > before);
    await h.app.idle();
    return h.slack.responses
      .slice(before)
      .map((r) => JSON.stringify(r.body))
      .join('\n');
  }

  const signed = (body: string) =>
    postSigned(`${h.app.url}/slack/events`, body, {
      signingSecret: TEST_SECRETS.signingSecret,
      contentType: 'application/x-www-form-urlencoded',
    });

  it('adopts two proposed checks, runs three slots, posts one failure and one recovery, and repeats no post after a restart', async () => {
    h = await startHarness({
      env: {
        DATA_SOURCES: JSON.stringify([{ name: 'warehouse', kind: 'postgres', url: warehouse.url }]),
        DIGEST_TIME_ZONE: 'UTC',
      },
      tuning: { checkScheduler: { tickMs: 40, now: () => clock } },
    });
    h.slack.addUser({ id: ADMIN, is_admin: true });
    h.slack.addUser({ id: QUINN });
    h.slack.addUser({ id: ANA });
    const owner = await h.command(`owners set qa <@${QUINN}>`, { user_id: ADMIN, channel_id: CHANNEL });
    await h.app.idle();
    expect(owner.status).toBe(200);
    expect(lastResponse()).toContain('QA');
    // Checks query only the source an admin mapped to the channel (the data tools' source).
    await h.command('sources use warehouse', { user_id: ADMIN, channel_id: CHANNEL });
    await h.app.idle();

    // The answer: synthetic orders in the sandbox, then two checks that run on both schemas.
    h.anthropic.script(
      sqlToolRound(`${ORDERS_DDL}\n${ORDERS_SAMPLE}`, 'loading 500 synthetic orders'),
      proposeRound([
        {
          name: 'orders_amount_not_negative',
          sql: 'select amount from orders where amount < 0',
          expect: '0 rows',
          severity: 'critical',
        },
        {
          name: 'orders_not_empty',
          sql: 'select count(*) from orders',
          expect: 'value >= 1',
          severity: 'warning',
        },
      ]),
      textReply('## Data Engineering Solution: Orders checks\nTwo checks are offered.'),
    );
    const question = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text: `<@${FAKE_BOT_USER_ID}> checks for orders`,
    });
    await h.event({
      type: 'app_mention',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text: question.text,
      ts: question.ts,
    });
    await h.app.idle();
    const threadTs = question.ts;
    const offer = h.slack
      .threadMessages(CHANNEL, threadTs)
      .find((m) => JSON.stringify(m.blocks ?? []).includes('adopt_checks'));
    const value = /"value":"(\d+:\d+)"/.exec(JSON.stringify(offer?.blocks))?.[1] ?? '';

    // The requester adopts: the form asks for the source and the schedule.
    const { body } = buttonClickBody(
      {
        userId: ANA,
        channelId: CHANNEL,
        messageTs: offer?.ts ?? '',
        value,
        responseUrl: h.slack.responseUrl(),
      },
      {
        type: 'button',
        action_id: 'adopt_checks',
        block_id: 'b',
        text: { type: 'plain_text', text: 'Adopt these checks' },
      },
    );
    expect((await signed(body)).status).toBe(200);
    await until(() => h.slack.callsTo('views.open').length === 1);
    const view = h.slack.callsTo('views.open')[0]?.args.view as {
      callback_id: string;
      private_metadata: string;
    };
    expect(JSON.stringify(view)).toContain('warehouse (postgres)');
    const submit = (frequency: string, cron = '') =>
      signed(
        viewSubmissionBody({
          userId: ANA,
          callbackId: view.callback_id,
          privateMetadata: view.private_metadata,
          values: {
            source: { source: { type: 'static_select', selected_option: { value: 'warehouse' } } },
            frequency: { frequency: { type: 'radio_buttons', selected_option: { value: frequency } } },
            time: { time: { type: 'timepicker', selected_time: '07:00' } },
            cron: { cron: { type: 'plain_text_input', value: cron } },
          },
        }),
      );
    // A cron schedule tighter than 15 minutes is refused in the form itself.
    const tooOften = await submit('cron', '*/5 * * * *');
    expect(JSON.parse(tooOften.text)).toEqual({
      response_action: 'errors',
      errors: { cron: 'checks run at most every 15 minutes' },
    });
    const adopted = await submit('hourly');
    expect(adopted.status).toBe(200);
    expect(adopted.text).toBe('');
    await h.app.idle();
    const said = () => h.slack.threadMessages(CHANNEL, threadTs).map((m) => m.text ?? '');
    expect(
      said().some((t) =>
        t.startsWith('✅ 2 checks adopted: `orders_amount_not_negative`, `orders_not_empty`'),
      ),
    ).toBe(true);

    const runs = () =>
      h.query<{ name: string; slot: string; result: string; observed: string }>(
        `select c.name, datetime(r.slot_at / 1000, 'unixepoch') as slot, r.result, r.observed
         from check_runs r join quality_checks c on c.id = r.check_id where r.result is not null order by r.slot_at, c.name`,
      );
    const failures = () => said().filter((t) => t.includes('failed*'));
    const recoveries = () => said().filter((t) => t.includes('passes again'));

    // Slot 1 (09:00): clean data, both pass, nothing posted.
    clock = at(1, 0.5);
    await until(() => runs().length === 2);
    expect(runs().map((r) => r.result)).toEqual(['passed', 'passed']);

    // Slot 2 (10:00): a negative amount arrives; the failure post lands but Slack answers 500.
    await client.query(`UPDATE orders SET amount = -5 WHERE id = (SELECT min(id) FROM orders)`);
    h.slack.failNext('chat.postMessage', { status: 500, afterLanding: true }, 1, (args) =>
      String(args.text ?? '').includes('failed*'),
    );
    clock = at(2, 0.5);
    await until(() => runs().length === 4);
    expect(runs()[2]).toMatchObject({
      name: 'orders_amount_not_negative',
      result: 'failed',
      observed: '1 row',
    });
    // The bot restarts before it could record the post; the new process finds the post by its key.
    await h.restart();
    // The dead process's claim on that post is taken over after two minutes; the post is looked up first.
    clock = at(2, 3);
    await until(
      () =>
        h.query("select count(*) as n from check_runs where announced_ts is null and action != 'none'")[0]
          ?.n === 0,
    );
    expect(failures()).toHaveLength(1);
    expect(failures()[0]).toContain('🔴 *Check `orders_amount_not_negative` failed* (critical');
    expect(failures()[0]).toContain(
      `returned 1 row; expected no rows. <@${QUINN}>, this is yours as QA owner.`,
    );
    expect(failures()[0]).toContain('select amount from orders where amount &lt; 0');
    // The digest counts the runs so far and names the failing check.
    const failingDigest = await digestNow();
    expect(failingDigest).toContain('75% of 4 check runs passed, *1* failing now');
    expect(failingDigest).toContain('*Data-quality checks* (2 in this channel): 3 of 4 runs passed (75%).');
    expect(failingDigest).toContain('• 🔴 `orders_amount_not_negative` failing');

    // Slot 3 (11:00): fixed; one recovery post, and nothing for the check that kept passing.
    await client.query(`UPDATE orders SET amount = 5 WHERE amount < 0`);
    clock = at(3, 0.5);
    await until(() => runs().length === 6 && recoveries().length === 1);
    await h.app.idle();
    expect(failures()).toHaveLength(1);
    expect(recoveries()[0]).toContain('🟢 Check `orders_amount_not_negative` passes again');
    expect(runs().map((r) => `${r.slot} ${r.name} ${r.result}`)).toEqual([
      `${slotText(1)} orders_amount_not_negative passed`,
      `${slotText(1)} orders_not_empty passed`,
      `${slotText(2)} orders_amount_not_negative failed`,
      `${slotText(2)} orders_not_empty passed`,
      `${slotText(3)} orders_amount_not_negative passed`,
      `${slotText(3)} orders_not_empty passed`,
    ]);
    // Exactly one QA ping: the failure post is the only message naming the QA owner.
    expect(said().filter((t) => t.includes(`<@${QUINN}>`))).toHaveLength(1);

    // The digest's figures match the runs: 5 of 6 passed, nothing failing now.
    const digest = await digestNow();
    expect(digest).toContain('83.3% of 6 check runs passed');
    expect(digest).not.toContain('failing now');
    expect(digest).toContain('*Data-quality checks* (2 in this channel): 5 of 6 runs passed (83.3%).');

    // The list shows each check's pass rate over its runs.
    const list = await h.command('checks', { user_id: ANA, channel_id: CHANNEL });
    expect(list.status).toBe(200);
    await h.app.idle();
    const listed = lastResponse();
    expect(listed).toContain('`orders_amount_not_negative`');
    expect(listed).toContain('66.6% (2 of 3 runs) over 7 days');
    expect(listed).toContain('100% (3 of 3 runs) over 7 days');

    // The failure post's buttons: only the QA owner, the adopter or an admin may use them.
    const failurePost = h.slack
      .threadMessages(CHANNEL, threadTs)
      .find((m) => (m.text ?? '').includes('failed*'));
    const press = async (userId: string, choice: 'ack' | 'snooze' | 'fp') => {
      const before = h.slack.responses.length;
      const button = ((failurePost?.blocks ?? []) as { elements?: { value: string; action_id: string }[] }[])
        .flatMap((b) => b.elements ?? [])
        .find((e) => e.action_id === `check_alert_${choice}`);
      const click = buttonClickBody(
        {
          userId,
          channelId: CHANNEL,
          messageTs: failurePost?.ts ?? '',
          value: button?.value ?? '',
          responseUrl: h.slack.responseUrl(),
        },
        {
          type: 'button',
          action_id: `check_alert_${choice}`,
          block_id: 'b',
          text: { type: 'plain_text', text: choice },
        },
      );
      expect((await signed(click.body)).status).toBe(200);
      await h.app.idle();
      return h.slack.responses.slice(before).map((r) => JSON.stringify(r.body));
    };
    const BEN = 'U0BEN0001';
    expect((await press(BEN, 'fp'))[0]).toContain('Only the channel’s QA owner');
    expect((await press(QUINN, 'ack'))[0]).toContain('Acknowledged.');
    expect((await press(QUINN, 'ack'))[0]).toContain('Someone already acknowledged');
    const redrawn = h.slack.messages.find((m) => m.ts === failurePost?.ts);
    expect(JSON.stringify(redrawn?.blocks)).toContain(`✔ Acknowledged by <@${QUINN}>`);
    // False positive: that run counts as passed, in the list and in the digest.
    expect((await press(QUINN, 'fp'))[0]).toContain('Marked a false positive');
    await h.command('checks', { user_id: ANA, channel_id: CHANNEL });
    await h.app.idle();
    // Both checks now pass every run (the list said 66.6% for the broken one before).
    expect(lastResponse().match(/passing 100% \(3 of 3 runs\) over 7 days/g)).toHaveLength(2);
    expect(lastResponse()).not.toContain('66.6%');
    expect(await digestNow()).toContain('100% of 6 check runs passed');
    // Snooze (by the adopter): the next failure is stored but not posted.
    expect((await press(ANA, 'snooze'))[0]).toContain('Snoozed for 24 hours');
    await client.query(`UPDATE orders SET amount = -7 WHERE id = (SELECT min(id) FROM orders)`);
    clock = at(4, 0.5);
    await until(() => runs().length === 8);
    await h.app.idle();
    expect(runs()[6]).toMatchObject({ name: 'orders_amount_not_negative', result: 'failed' });
    expect(failures()).toHaveLength(1);
    await client.query(`UPDATE orders SET amount = 5 WHERE amount < 0`);

    // The Home tab lists the checks its viewer adopted; another person sees none.
    await h.event({ type: 'app_home_opened', user: ANA, channel: 'D0ANA0001', tab: 'home' });
    await h.event({ type: 'app_home_opened', user: QUINN, channel: 'D0QUINN01', tab: 'home' });
    await h.app.idle();
    const home = JSON.stringify(h.slack.homeViews.get(ANA)?.blocks ?? []);
    expect(home).toContain('*Your scheduled checks*');
    // Failing first: the snoozed failure of the fourth slot.
    expect(home).toContain(`\`orders_amount_not_negative\`> in <#${CHANNEL}> — 🔴 failing`);
    expect(home).toContain(`\`orders_not_empty\`> in <#${CHANNEL}> — ✅ passing`);
    expect(JSON.stringify(h.slack.homeViews.get(QUINN)?.blocks ?? [])).not.toContain('Your scheduled checks');

    // A process that died mid-run leaves a claimed run without a result: once stale (10 min) the next
    // pass takes it over and runs it once. (It passes: the check's fourth change within a day makes it
    // flapping, whose one summary the snooze holds back, so the thread hears nothing new.)
    const [amount] = h.query<{ id: number }>(
      "select id from quality_checks where name = 'orders_amount_not_negative'",
    );
    const writer = new Database(h.databasePath);
    writer.pragma('busy_timeout = 5000');
    writer
      .prepare('insert into check_runs (team_id, check_id, slot_at, started_at) values (?, ?, ?, ?)')
      .run('T0FAKE001', amount?.id, at(5).getTime(), at(5).getTime());
    writer
      .prepare('update quality_checks set last_slot_at = ? where id = ?')
      .run(at(5).getTime(), amount?.id);
    writer.close();
    clock = at(5, 5);
    await h.app.idle();
    expect(
      h.query(
        'select result from check_runs where slot_at = ? and check_id = ?',
        at(5).getTime(),
        amount?.id,
      ),
    ).toEqual([{ result: null }]);
    clock = at(5, 11);
    await until(
      () =>
        h.query<{ result: string | null }>(
          'select result from check_runs where slot_at = ? and check_id = ?',
          at(5).getTime(),
          amount?.id,
        )[0]?.result === 'passed',
    );
    await h.app.idle();
    expect(
      h.query(
        'select count(*) as n, max(result) as result from check_runs where slot_at = ? and check_id = ?',
        at(5).getTime(),
        amount?.id,
      ),
    ).toEqual([{ n: 1, result: 'passed' }]);
    expect(recoveries()).toHaveLength(1);
    expect(failures()).toHaveLength(1);
    expect(said().filter((t) => t.includes('keeps switching'))).toEqual([]);

    // An admin takes the source away from the channel: the next slot queries nothing.
    await h.command('sources remove warehouse', { user_id: ADMIN, channel_id: CHANNEL });
    await h.app.idle();
    clock = at(6, 0.5);
    await until(() => runs().some((r) => r.slot === slotText(6)));
    expect(
      h.query<{ observed: string }>('select observed from check_runs where slot_at = ?', at(6).getTime()),
    ).toEqual([
      { observed: 'skipped: the channel no longer uses the source warehouse' },
      { observed: 'skipped: the channel no longer uses the source warehouse' },
    ]);
  }, 60_000);
});
