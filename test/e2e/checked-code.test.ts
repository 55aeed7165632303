import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MessageReply,
  type RecordedRequest,
  sandboxedAnswerScript,
  sqlToolRound,
  textReply,
} from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

/**
 * Issue 13 end to end, through signed Slack requests, the real DuckDB sandbox (a child process) and the
 * real parsers: the agent tests its SQL with run_sql before it answers; after the answer the bot checks
 * every code block itself, posts one check message, and repairs a failed block once.
 */

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';
const BOB = 'U0BOB0001';
const fence = (info: string, body: string) => `\`\`\`${info}\n${body}\n\`\`\``;

type ToolResult = { type: string; tool_use_id: string; content: string; is_error?: boolean };

/** The tool_result blocks the bot sent in a Messages request (the user message after the tool_use). */
function toolResults(request: RecordedRequest | undefined): ToolResult[] {
  const last = request?.body.messages.at(-1);
  if (!last || !Array.isArray(last.content)) return [];
  return last.content.filter((b: { type: string }) => b.type === 'tool_result');
}

describe('checked code', () => {
  let h: Harness;
  let events = 0;
  afterEach(async () => {
    await h?.close();
  });

  /** A mention in CHANNEL, delivered signed as Slack would; returns the thread's ts. */
  async function mention(text: string, user = ANA): Promise<string> {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user,
      text: `<@${FAKE_BOT_USER_ID}> ${text}`,
    });
    events += 1;
    const response = await h.event(
      {
        type: 'app_mention',
        channel: CHANNEL,
        channel_type: 'channel',
        user,
        text: message.text,
        ts: message.ts,
      },
      { event_id: `EvChecked${events}` },
    );
    expect(response.status).toBe(200);
    return message.ts;
  }

  const botReplies = (threadTs: string) => h.slack.threadMessages(CHANNEL, threadTs).filter((m) => m.bot_id);
  const textOf = (m: { text?: string; markdown_text?: string }) => m.markdown_text ?? m.text ?? '';

  it('the agent runs its DDL in the sandbox, reads the error, fixes it, checks; the answer gets ✓ for each block', async () => {
    h = await startHarness();
    h.anthropic.script(...sandboxedAnswerScript());
    const threadTs = await mention('design an orders mart');
    await h.app.idle();

    // Four model requests: the answer, then one per tool round, each carrying the real DuckDB result.
    const requests = h.anthropic.requests.filter((r) => r.path === '/v1/messages');
    expect(requests).toHaveLength(4);
    const [failed] = toolResults(requests[1]);
    expect(failed).toMatchObject({ is_error: true });
    expect(failed?.content).toMatch(
      /line 1 \(error at line 4\): CREATE FAILED: Parser Error: syntax error at or near "not"/,
    );
    const [loaded] = toolResults(requests[2]);
    expect(loaded?.is_error).toBeUndefined();
    expect(loaded?.content).toMatch(/500 rows changed/);
    const [checked] = toolResults(requests[3]);
    expect(checked?.is_error).toBeUndefined();
    // null_customer_ids | duplicate_keys | total_rows, computed by DuckDB on the synthetic rows.
    expect(checked?.content).toContain('0 | 0 | 500');

    // The thread's status said what the agent was doing while the tools ran.
    const statuses = h.slack.callsTo('assistant.threads.setStatus').map((c) => String(c.args.status));
    expect(statuses).toContain('is running the quality checks on sample data…');
    expect(statuses).toContain('is creating the orders table…');
    // The DuckDB child was started for it (the bot logs it; SANDBOX_ENABLED=false never does).
    expect(h.logs.some((line) => line.includes('sandbox child start'))).toBe(true);

    const replies = botReplies(threadTs);
    expect(textOf(replies[0] ?? {})).toContain('## Data Engineering Solution: Orders mart');
    // After the answer; the answer's files (the deliverables step) follow it.
    const check = replies.find((m) => (m.text ?? '').includes('Code checked by the bot'));
    expect(check?.text).toContain('*Code checked by the bot* (3 ✓ · 0 ✗)');
    expect(check?.text).toContain('✓ Block 1 (SQL): ran in DuckDB');
    expect(check?.text).toContain('✓ Block 2 (SQL): ran in DuckDB');
    expect(check?.text).toContain('✓ Block 3 (YAML): YAML parser');
    expect(replies.filter((m) => (m.text ?? '').includes('Code checked by the bot'))).toHaveLength(1);
    // Nothing failed: no repair request went to the model.
    expect(requests.some((r) => JSON.stringify(r.body).includes('The bot checked the code blocks'))).toBe(
      false,
    );
  });

  it('a broken SQL block and a broken YAML block get ✗ with the right line, then one repair round that passes', async () => {
    h = await startHarness();
    const answer = [
      '## Data Engineering Solution: Orders rollup',
      'Dialect: PostgreSQL',
      '### Code/Configuration',
      fence('sql', 'create table orders (id bigint, amount decimal(12,2));'),
      fence(
        'sql',
        'select id,\n       sum(amount) as total\nfrom orders\ngroup by id\nhaving total > 0 ordr by id;',
      ),
      fence('yaml', 'dag:\n  id: orders_daily\n  tasks:\n    - load\n   - check'),
    ].join('\n');
    const repair = [
      'Block 2',
      fence(
        'sql',
        'select id,\n       sum(amount) as total\nfrom orders\ngroup by id\nhaving sum(amount) > 0\norder by id;',
      ),
      'Block 3',
      fence('yaml', 'dag:\n  id: orders_daily\n  tasks:\n    - load\n    - check'),
    ].join('\n');
    h.anthropic.script(textReply(answer), textReply(repair));
    const threadTs = await mention('roll orders up per customer');
    await h.app.idle();

    const replies = botReplies(threadTs);
    const check = replies.find((m) => (m.text ?? '').includes('Code checked by the bot'));
    expect(check?.text).toContain('(1 ✓ · 2 ✗)');
    expect(check?.text).toContain(
      "✓ Block 1 (SQL, PostgreSQL): ran in DuckDB, parsed by PostgreSQL's parser",
    );
    expect(check?.text).toMatch(
      /✗ Block 2 \(SQL, PostgreSQL\): line 5 of the block, PostgreSQL's parser: `syntax error at or near "ordr"`/,
    );
    expect(check?.text).toMatch(/✗ Block 3 \(YAML\): line 5 of the block, YAML parser: `/);

    // Exactly one repair request went to the model, in the same conversation, after the answer.
    const requests = h.anthropic.requests.filter((r) => r.path === '/v1/messages');
    expect(requests).toHaveLength(2);
    const messages = requests[1]?.body.messages as { role: string; content: unknown }[];
    expect(messages.at(-2)).toMatchObject({
      role: 'assistant',
      content: expect.stringContaining('Orders rollup'),
    });
    expect(messages.at(-1)?.content).toMatch(
      /Block 2 \(sql, postgres\) failed at line 5 of the block: syntax error at or near "ordr"/,
    );
    expect(messages.at(-1)?.content).toMatch(/Block 3 \(yaml\) failed at line 5 of the block/);
    // The same cached prefix as the answer: system prompt and tools byte for byte.
    expect(JSON.stringify(requests[1]?.body.tools)).toBe(JSON.stringify(requests[0]?.body.tools));
    expect(JSON.stringify(requests[1]?.body.system)).toBe(JSON.stringify(requests[0]?.body.system));

    // One reply for the round, however many blocks failed: each block's part in order inside it.
    const corrected = replies.filter((m) => (m.text ?? '').includes('Corrected block'));
    expect(corrected).toHaveLength(1);
    const parts = (corrected[0]?.text ?? '').split('\n').filter((l) => /^\*Corrected block \d+\*$/.test(l));
    expect(parts).toEqual(['*Corrected block 2*', '*Corrected block 3*']);
    expect(corrected[0]?.text).toContain('order by id;');
    expect(corrected[0]?.text).toContain(
      "✓ Corrected block 2 (SQL, PostgreSQL): ran in DuckDB, parsed by PostgreSQL's parser",
    );
    expect(corrected[0]?.text).toContain('✓ Corrected block 3 (YAML): YAML parser');
    // The check message comes right after the answer, the corrections after it.
    expect(replies.indexOf(check as (typeof replies)[number])).toBeLessThan(
      replies.indexOf(corrected[0] as (typeof replies)[number]),
    );
  });

  it('a repair that still fails says so plainly, and there is never a second round', async () => {
    h = await startHarness();
    const answer = ['## Data Engineering Solution: Broken', fence('sql duckdb', 'selec 1;')].join('\n');
    h.anthropic.script(textReply(answer), textReply(`Block 1\n${fence('sql duckdb', 'selct 1;')}`));
    const threadTs = await mention('one query');
    await h.app.idle();
    const corrected = botReplies(threadTs).filter((m) => (m.text ?? '').includes('Corrected block 1'));
    expect(corrected).toHaveLength(1);
    expect(corrected[0]?.text).toContain('✗ Corrected block 1 (SQL, DuckDB)');
    expect(corrected[0]?.text).toContain('Still failing after the one repair round');
    expect(h.anthropic.requests.filter((r) => r.path === '/v1/messages')).toHaveLength(2);
  });

  const openJobs = () => h.query<{ n: number }>('select count(*) as n from jobs')[0]?.n ?? 0;
  /** The job (retried after its backoff) has finished: nothing queued, nothing running. */
  const settled = async () => {
    await until(() => openJobs() === 0, 20_000);
    await h.app.idle();
  };
  const checkMessages = (threadTs: string) =>
    botReplies(threadTs).filter((m) => (m.text ?? '').includes('Code checked by the bot'));

  it('a check message that landed but answered 500 is found by its key on the retry: posted once, checked once', async () => {
    h = await startHarness();
    h.anthropic.script(...sandboxedAnswerScript());
    h.slack.failNext('chat.postMessage', { status: 500, afterLanding: true }, 1, (args) =>
      String(args.text ?? '').includes('Code checked by the bot'),
    );
    const threadTs = await mention('design an orders mart');
    await settled();
    expect(checkMessages(threadTs)).toHaveLength(1);
    const lookups = h.slack.callsTo('conversations.replies');
    expect(lookups.some((c) => String(c.args.include_all_metadata) === 'true')).toBe(true);
    expect(h.query('select step, state from answer_steps order by position')).toEqual([
      { step: 'block-checks', state: 'done' },
      { step: 'repair', state: 'done' },
      { step: 'deliverables', state: 'done' },
      { step: 'offer-checks', state: 'done' },
    ]);
    // A follow-up gets its own answer (no code): the first answer's check is not posted again.
    const followUp = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text: 'thanks',
      thread_ts: threadTs,
    });
    h.anthropic.script(textReply('Glad it helps.'));
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(
        {
          type: 'message',
          channel: CHANNEL,
          channel_type: 'channel',
          user: ANA,
          text: 'thanks',
          ts: followUp.ts,
          thread_ts: threadTs,
        },
        { event_id: 'EvCheckedFollowUp' },
      ),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
    );
    expect(response.status).toBe(200);
    await settled();
    expect(botReplies(threadTs).some((m) => textOf(m).includes('Glad it helps.'))).toBe(true);
    expect(checkMessages(threadTs)).toHaveLength(1);
  }, 60_000);

  it('a corrected block whose post failed is posted once on the retry, without asking the model again', async () => {
    h = await startHarness();
    const answer = ['## Data Engineering Solution: Broken', fence('sql duckdb', 'selec 1;')].join('\n');
    h.anthropic.script(textReply(answer), textReply(`Block 1\n${fence('sql duckdb', 'select 1;')}`));
    h.slack.failNext('chat.postMessage', { status: 500 }, 1, (args) =>
      String(args.text ?? '').includes('Corrected block 1'),
    );
    const threadTs = await mention('one query');
    await settled();
    const corrected = botReplies(threadTs).filter((m) => (m.text ?? '').includes('Corrected block 1'));
    expect(corrected).toHaveLength(1);
    expect(corrected[0]?.text).toContain('✓ Corrected block 1 (SQL, DuckDB): ran in DuckDB');
    expect(checkMessages(threadTs)).toHaveLength(1);
    // The answer, then the one repair request: the retry did not ask again.
    expect(h.anthropic.requests.filter((r) => r.path === '/v1/messages')).toHaveLength(2);
  }, 60_000);

  it('an answer whose only block cannot be checked (templated dbt SQL) gets no check message', async () => {
    h = await startHarness();
    const threadTs = await mention('design a pipeline for user analytics');
    await h.app.idle();
    expect(botReplies(threadTs)).toHaveLength(1);
    // Checked all the same, and recorded: the block was not checked, and why.
    const [row] = h.query<{ results: string }>(
      "select results from answer_steps where step = 'block-checks'",
    );
    expect(JSON.parse(row?.results ?? '{}').blockChecks).toMatchObject([
      { index: 1, status: 'not_checked', note: 'templated SQL (Jinja)' },
    ]);
  });

  it('SANDBOX_ENABLED=false: run_sql says the sandbox is off, the answer still comes, and no block is checked', async () => {
    h = await startHarness({ env: { SANDBOX_ENABLED: 'false' } });
    const [first, , , final] = sandboxedAnswerScript();
    h.anthropic.script(first as MessageReply, final as MessageReply);
    const threadTs = await mention('design an orders mart');
    await h.app.idle();
    const requests = h.anthropic.requests.filter((r) => r.path === '/v1/messages');
    const [off] = toolResults(requests[1]);
    expect(off).toMatchObject({ is_error: true });
    expect(off?.content).toContain('The sandbox is not available (the sandbox is turned off)');
    expect(textOf(botReplies(threadTs)[0] ?? {})).toContain('Orders mart');
    expect(checkMessages(threadTs)).toHaveLength(0);
    // No DuckDB child was ever started.
    expect(h.logs.some((line) => line.includes('sandbox child start'))).toBe(false);
  });

  it('every escape attempt through run_sql is refused or interrupted; another task is answered meanwhile; no file changes', async () => {
    h = await startHarness({ env: { SANDBOX_STATEMENT_TIMEOUT_SECONDS: '2' } });
    const dir = mkdtempSync(join(tmpdir(), 'deb-escape-'));
    writeFileSync(join(dir, 'secret.csv'), 'a,b\n1,2\n');
    const snapshot = (path: string) =>
      readdirSync(path)
        .sort()
        .map((name) => {
          const s = statSync(join(path, name));
          return `${name}:${s.size}:${s.mtimeMs}`;
        })
        .join('\n');
    const cwdNames = () =>
      readdirSync(process.cwd())
        .filter((n) => n !== 'test-results.json')
        .sort()
        .join('\n');
    const dirBefore = snapshot(dir);
    const cwdBefore = cwdNames();
    const attempts: [string, RegExp][] = [
      ["select * from read_csv('/etc/passwd')", /Permission Error/],
      [`select * from read_csv('${dir}/secret.csv')`, /Permission Error/],
      [`copy (select 42 as x) to '${dir}/out.csv'`, /Permission Error/],
      [`attach '${dir}/evil.duckdb' as evil`, /Permission Error/],
      ['install httpfs', /Permission Error/],
      ['load httpfs', /Loading external extensions is disabled/],
      ['set enable_external_access=true', /Cannot change configuration option "enable_external_access"/],
      ["select * from read_text('/etc/passwd')", /Permission Error/],
      ["select * from glob('/*')", /Permission Error/],
      ['select list(i) from range(1250000000) t(i)', /Out of Memory Error|Interrupted/],
      // Spilling past the memory limit would write temp files beside the child: off, and locked.
      [`set temp_directory='${dir}'`, /Cannot change configuration option "temp_directory"/],
      // Fails (as the loop expects) only when spilling is off; with spilling on it would return a row.
      [
        "select case when current_setting('max_temp_directory_size') = '0 bytes' then error('spill off') end",
        /spill off/,
      ],
    ];
    const runaway =
      'select a.range, b.range from range(1000000) a cross join range(1000000) b order by a.range desc, b.range desc';
    h.anthropic.script(
      sqlToolRound(
        attempts.map(([sql]) => sql),
        'probing the sandbox',
      ),
      sqlToolRound(runaway, 'a query that never ends'),
    );
    // Past the scripted rounds, each task gets its own final answer.
    h.anthropic.setDefault((request) =>
      JSON.stringify(request.body.messages[0]).includes('another task')
        ? textReply('## Data Engineering Solution: Other task\nAnswered.')
        : textReply('## Data Engineering Solution: Probe\nDone.'),
    );
    const probeTs = await mention('probe the sandbox');
    // Wait until the runaway query is running: its tool_use round has been sent, and DuckDB started.
    await until(() => h.anthropic.requests.filter((r) => r.path === '/v1/messages').length === 2);
    await until(() =>
      h.slack
        .callsTo('assistant.threads.setStatus')
        .some((c) => c.args.status === 'is running a query that never ends…'),
    );
    // Meanwhile another person's task: its ack and its whole answer come before the runaway is interrupted.
    const otherTs = await mention('another task', BOB);
    await until(() =>
      botReplies(otherTs).some(
        (m) => textOf(m).includes('Other task') && m.streaming_state !== 'in_progress',
      ),
    );
    const otherAnsweredAt = performance.now();
    await h.app.idle();

    const requests = h.anthropic.requests.filter((r) => r.path === '/v1/messages');
    const probe = requests.filter((r) => JSON.stringify(r.body.messages[0]).includes('probe the sandbox'));
    expect(probe).toHaveLength(3);
    const refusals = toolResults(probe[1]);
    expect(refusals).toHaveLength(attempts.length);
    attempts.forEach(([sql, refusal], i) => {
      expect(refusals[i]?.is_error, sql).toBe(true);
      expect(refusals[i]?.content, sql).toMatch(refusal);
    });
    const [interrupted] = toolResults(probe[2]);
    expect(interrupted?.is_error).toBe(true);
    expect(interrupted?.content).toMatch(/Interrupted: the statement ran longer than 2 s/);
    // Ordering, not wall-clock: the other task was fully answered before the runaway query's result
    // (its interrupt) reached the model.
    expect(otherAnsweredAt).toBeLessThan(probe[2]?.at ?? 0);
    expect(textOf(botReplies(probeTs)[0] ?? {})).toContain('Probe');

    expect(snapshot(dir)).toBe(dirBefore);
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
    expect(existsSync(join(dir, 'evil.duckdb'))).toBe(false);
    expect(cwdNames()).toBe(cwdBefore);
    // DuckDB's default spill folder for an in-memory database is `.tmp` in the child's folder (tmpdir).
    expect(existsSync(join(tmpdir(), '.tmp'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);
});
