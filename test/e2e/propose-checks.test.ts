import { afterEach, describe, expect, it } from 'vitest';
import {
  type MessageReply,
  ORDERS_DDL,
  ORDERS_SAMPLE,
  type RecordedRequest,
  sqlToolRound,
  textReply,
} from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { buttonClickBody } from '../support/feedback.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { postSigned } from '../support/slack-signing.js';

/**
 * Issue 17, step one, end to end: the agent states its QA section's SQL checks through a tool; the bot
 * runs each on the answer's synthetic data in the real DuckDB sandbox, judges it with the scheduled
 * runs' rule, keeps the ones that ran, and tells the model what each returned.
 */

const CHANNEL = 'C0CHECKS1';
const ANA = 'U0ANA0001';
const BEN = 'U0BEN0001';

type ToolResult = { type: string; content: string; is_error?: boolean };
function toolResults(request: RecordedRequest | undefined): ToolResult[] {
  const last = request?.body.messages.at(-1);
  if (!last || !Array.isArray(last.content)) return [];
  return last.content.filter((b: { type: string }) => b.type === 'tool_result');
}

const proposeRound = (checks: unknown[]): MessageReply => ({
  kind: 'message',
  content: [{ type: 'tool_use', name: 'propose_quality_checks', input: { checks } }],
});

describe('proposed quality checks', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  async function ask(text: string): Promise<string> {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text: `<@${FAKE_BOT_USER_ID}> ${text}`,
    });
    const response = await h.event({
      type: 'app_mention',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text: message.text,
      ts: message.ts,
    });
    expect(response.status).toBe(200);
    await h.app.idle();
    return message.ts;
  }

  /** Clicks "Adopt these checks" as `userId`; returns the private replies it got. */
  async function clickAdopt(userId: string, messageTs: string, value: string, channelId = CHANNEL) {
    const before = h.slack.responses.length;
    const { body } = buttonClickBody(
      { userId, channelId, messageTs, value, responseUrl: h.slack.responseUrl() },
      {
        type: 'button',
        action_id: 'adopt_checks',
        block_id: 'adopt-checks-1',
        text: { type: 'plain_text', text: 'Adopt these checks' },
      },
    );
    const response = await postSigned(`${h.app.url}/slack/events`, body, {
      signingSecret: TEST_SECRETS.signingSecret,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(200);
    await h.app.idle();
    return h.slack.responses.slice(before).map((r) => String((r.body as { text?: string }).text));
  }

  const twoChecks = () =>
    proposeRound([
      {
        name: 'orders_amount_not_negative',
        sql: 'select order_id from orders where amount < 0',
        expect: '0 rows',
        severity: 'critical',
      },
      {
        name: 'orders_have_rows',
        sql: 'select count(*) from orders',
        expect: 'value >= 1',
        severity: 'warning',
      },
    ]);

  it('offers the kept checks once under the answer, with a button only the requester, the QA owner or an admin may use', async () => {
    h = await startHarness();
    h.anthropic.script(
      sqlToolRound(`${ORDERS_DDL}\n${ORDERS_SAMPLE}`, 'loading 500 synthetic orders'),
      twoChecks(),
      textReply('## Data Engineering Solution: Orders checks\nTwo checks are offered.'),
    );
    const threadTs = await ask('design quality checks for orders');
    const offers = h.slack
      .threadMessages(CHANNEL, threadTs)
      .filter((m) => JSON.stringify(m.blocks ?? []).includes('adopt_checks'));
    expect(offers).toHaveLength(1);
    const offer = offers[0];
    expect(offer?.text).toBe('2 data-quality check(s) from this answer can run on a schedule.');
    const section = JSON.stringify(offer?.blocks);
    expect(section).toContain(
      '🔴 `orders_amount_not_negative`: expects no rows; passed on the synthetic data (0 rows)',
    );
    expect(section).toContain(
      '🟠 `orders_have_rows`: expects at least 1; passed on the synthetic data (500)',
    );
    const [task] = h.query<{ id: number }>('select id from tasks');
    const [turn] = h.query<{ id: number }>(
      "select id from turns where role = 'assistant' order by id desc limit 1",
    );
    const value = `${task?.id}:${turn?.id}`;
    expect(section).toContain(`"value":"${value}"`);
    expect(h.query('select offered_turn_id as t from proposed_checks')).toEqual([
      { t: turn?.id },
      { t: turn?.id },
    ]);

    // Another member of the channel may not schedule queries against the team's warehouse.
    expect(await clickAdopt(BEN, offer?.ts ?? '', value)).toEqual([
      'Only the person who asked for this answer, the channel’s QA owner or an admin can adopt its checks.',
    ]);
    // A value naming this task from another channel is refused as gone.
    expect(await clickAdopt(ANA, offer?.ts ?? '', value, 'C0ELSEWHERE')).toEqual([
      'That answer is no longer here, so its checks cannot be adopted.',
    ]);
    // An answer that offered nothing.
    expect(await clickAdopt(ANA, offer?.ts ?? '', `${task?.id}:${(turn?.id ?? 0) + 100}`)).toEqual([
      'This answer has no checks to adopt.',
    ]);
    // The requester may, but with no data source configured there is nothing to run against.
    const told = await clickAdopt(ANA, offer?.ts ?? '', value);
    expect(told[0]).toContain('This channel has no data source');
    expect(h.slack.callsTo('views.open')).toEqual([]);
    expect(h.query('select count(*) as n from quality_checks')).toEqual([{ n: 0 }]);
  });

  it('runs each check on the synthetic data, keeps those that ran with their verdict, and says why the others were not kept', async () => {
    h = await startHarness();
    h.anthropic.script(
      sqlToolRound(`${ORDERS_DDL}\n${ORDERS_SAMPLE}`, 'loading 500 synthetic orders'),
      proposeRound([
        {
          name: 'orders_amount_not_negative',
          sql: 'select order_id from orders where amount < 0',
          expect: '0 rows',
          severity: 'critical',
        },
        {
          name: 'orders_amount_null_share',
          sql: 'select avg(case when amount is null then 1.0 else 0 end) from orders',
          expect: 'value between 0 and 0.01',
          severity: 'warning',
        },
        { name: 'orders_broken', sql: 'select nope from orders', expect: '0 rows', severity: 'info' },
        {
          name: 'orders_delete',
          sql: 'delete from orders where amount < 0',
          expect: '0 rows',
          severity: 'info',
        },
        { name: 'two_statements', sql: 'select 1; select 2', expect: '0 rows', severity: 'info' },
      ]),
      textReply('## Data Engineering Solution: Orders checks\nThe checks are offered for adoption.'),
    );
    await ask('design quality checks for orders');

    const requests = h.anthropic.requests.filter((r) => r.path === '/v1/messages');
    expect(requests).toHaveLength(3);
    expect(requests[0]?.body.tools.map((t: { name: string }) => t.name)).toContain('propose_quality_checks');
    const [reply] = toolResults(requests[2]);
    expect(reply?.is_error).toBeUndefined();
    const text = reply?.content ?? '';
    expect(text).toContain('Kept 2 of 5 check(s)');
    expect(text).toContain(
      'orders_amount_not_negative: kept; on your synthetic data it returned 0 rows (passes',
    );
    // One in fifty synthetic orders has no amount: 0.02, outside the accepted range.
    expect(text).toContain(
      'orders_amount_null_share: kept; on your synthetic data it returned 0.02 (would FAIL',
    );
    expect(text).toMatch(/orders_broken: not kept, it failed: Binder Error: .*nope/);
    expect(text).toContain('orders_delete: not kept, a check is one read-only SELECT, not DELETE');
    expect(text).toContain('two_statements: not kept, a check is exactly one SELECT statement');

    const kept = h.query<{
      name: string;
      severity: string;
      sandbox_passed: number;
      sandbox_observed: string;
    }>('select name, severity, sandbox_passed, sandbox_observed from proposed_checks order by name');
    expect(kept).toEqual([
      {
        name: 'orders_amount_not_negative',
        severity: 'critical',
        sandbox_passed: 1,
        sandbox_observed: '0 rows',
      },
      { name: 'orders_amount_null_share', severity: 'warning', sandbox_passed: 0, sandbox_observed: '0.02' },
    ]);
    // The delete never ran: the synthetic rows are all there.
    expect(h.query('select count(*) as n from proposed_checks where name = ?', 'orders_delete')).toEqual([
      { n: 0 },
    ]);
  });

  it('refuses input it cannot run on a schedule: names that could mention people, unknown expectations', async () => {
    h = await startHarness();
    h.anthropic.script(
      proposeRound([
        { name: '<!channel>', sql: 'select 1', expect: '0 rows', severity: 'critical' },
        { name: 'ok_name', sql: 'select 1', expect: 'looks fine', severity: 'critical' },
      ]),
      textReply('## Data Engineering Solution: Nothing kept'),
    );
    await ask('checks please');
    const requests = h.anthropic.requests.filter((r) => r.path === '/v1/messages');
    const [reply] = toolResults(requests[1]);
    expect(reply?.is_error).toBe(true);
    expect(reply?.content).toContain('checks.0.name');
    expect(reply?.content).toContain('checks.1.expect');
    expect(h.query('select count(*) as n from proposed_checks')).toEqual([{ n: 0 }]);
  });
});
