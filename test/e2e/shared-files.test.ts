import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type RecordedRequest, sqlToolRound, textReply } from '../support/fake-anthropic.js';
import type { SeededFile } from '../support/fake-slack/types.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

/**
 * Issue 15, item 5 end to end (signed Slack events, the real DuckDB sandbox child, the fakes speaking
 * Slack's and Anthropic's formats): files shared in a task thread are read with the bot token from Slack's
 * file host only, typed by content, loaded as tables, profiled for the agent and queryable with run_sql;
 * the thread is told once per file what was read and what was not, and why.
 */

const CHANNEL = 'C0DATA001';
const OTHER_CHANNEL = 'C0OTHER01';
const ANA = 'U0ANA0001';

const ORDERS_CSV = 'order_id,status,amount\n1,paid,10.50\n2,paid,\n3,new,7.25\n4,shipped,3.00\n';

// biome-ignore lint/suspicious/noExplicitAny: Slack events are free-form JSON.
type SlackEvent = Record<string, any>;

type ToolResult = { type: string; tool_use_id: string; content: string; is_error?: boolean };

function toolResults(request: RecordedRequest | undefined): ToolResult[] {
  const last = request?.body.messages.at(-1);
  if (!last || !Array.isArray(last.content)) return [];
  return last.content.filter((b: { type: string }) => b.type === 'tool_result');
}

/** A small Parquet file written by DuckDB itself. */
async function parquetBytes(): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'deb-e2e-parquet-'));
  const path = join(dir, 'events.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  await connection.run(
    `COPY (SELECT i AS event_id, CASE WHEN i % 3 = 0 THEN 'click' ELSE 'view' END AS kind FROM range(1, 121) t(i)) TO '${path}' (FORMAT parquet)`,
  );
  connection.closeSync();
  db.closeSync();
  const bytes = readFileSync(path);
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

const PNG = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);

describe('files shared in a task thread', () => {
  let h: Harness;
  let events = 0;
  let attacker: Server | undefined;
  const attackerRequests: { url: string; authorization: string | undefined }[] = [];

  afterEach(async () => {
    await h?.close();
    if (attacker) await new Promise<void>((resolve) => attacker?.close(() => resolve()));
    attacker = undefined;
    attackerRequests.length = 0;
  });

  async function deliver(event: SlackEvent, eventId = `EvFiles${++events}`, retryNum?: number) {
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(event, { event_id: eventId }),
      {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
        headers: retryNum
          ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' }
          : {},
      },
    );
    expect(response.status).toBe(200);
  }

  /** A mention in CHANNEL that starts a task; returns its thread. */
  async function startTask(text = 'look at our data'): Promise<string> {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text: `<@${FAKE_BOT_USER_ID}> ${text}`,
    });
    await deliver({
      type: 'app_mention',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text: message.text,
      ts: message.ts,
    });
    await h.app.idle();
    return message.ts;
  }

  /** Someone drops a file into the thread (Slack's file_share message event); returns the file id and event. */
  async function dropFile(threadTs: string, file: Partial<SeededFile> & { name: string; bytes: Buffer }) {
    const shared = h.slack.shareFile({ channel: CHANNEL, threadTs, user: ANA, ...file });
    await deliver(shared.event);
    return shared;
  }

  /** The bot's messages in the thread, one entry per line (one reply tells of several files, a line each). */
  const botTexts = (threadTs: string) =>
    h.slack
      .threadMessages(CHANNEL, threadTs)
      .filter((m) => m.bot_id)
      .flatMap((m) => (m.text ?? m.markdown_text ?? '').split('\n'));
  const messagesRequests = () => h.anthropic.requests.filter((r) => r.path === '/v1/messages');

  it('a CSV dropped into a thread is profiled for the agent, queried with run_sql, and told once', async () => {
    h = await startHarness();
    const threadTs = await startTask();
    const before = messagesRequests().length;
    h.anthropic.script(
      sqlToolRound(
        'select status, count(*) as n, sum(amount) as total from orders_csv group by status order by status',
        'counting orders by status',
      ),
      textReply('## Orders\nPaid orders dominate: 2 of 4.'),
    );
    await dropFile(threadTs, { name: 'orders.csv', bytes: Buffer.from(ORDERS_CSV) });
    await h.app.idle();

    const [first, second] = messagesRequests().slice(before);
    const input = JSON.stringify(first?.body.messages);
    // The profile reached the model in the turn's input: table, rows × columns, types, null shares, ranges.
    expect(input).toContain('Files in this thread, loaded into your sandbox (query them with run_sql');
    expect(input).toContain('orders.csv → table `orders_csv`, 4 rows × 3 columns');
    expect(input).toContain('order_id BIGINT (0% null, ~4 distinct, 1 … 4)');
    expect(input).toContain('amount DOUBLE (25% null');
    // A text column's values are not in the profile (aggregates only).
    expect(input).not.toContain('shipped');
    // The scripted run_sql ran on the loaded table: real rows came back to the model.
    const [result] = toolResults(second);
    expect(result?.is_error).toBeUndefined();
    expect(result?.content).toContain('new | 1 | 7.25');
    expect(result?.content).toContain('paid | 2 | 10.5');
    expect(result?.content).toContain('shipped | 1 | 3.0');
    // The bytes were fetched from the fake's file host with the bot token, once.
    expect(h.slack.fileDownloads).toHaveLength(1);
    expect(h.slack.fileDownloads[0]).toMatchObject({
      status: 200,
      authorization: `Bearer ${TEST_SECRETS.botToken}`,
    });
    // The thread is told which file was read, as what; no more "files are not read".
    const replies = botTexts(threadTs);
    expect(
      replies.filter((t) => t.includes('Read `orders.csv` → table `orders_csv` (4 rows × 3 columns)')),
    ).toHaveLength(1);
    expect(h.slack.ephemerals.some((e) => /attached files|not read/i.test(e.text ?? ''))).toBe(false);
  });

  it('personal data from a file reaches the model masked: no min/max for it in the profile, masked cells from run_sql', async () => {
    h = await startHarness();
    const threadTs = await startTask();
    const before = messagesRequests().length;
    h.anthropic.script(
      sqlToolRound('select * from customers_csv', 'looking at the customers'),
      textReply('## Customers\nTwo customers.'),
    );
    await dropFile(threadTs, {
      name: 'customers.csv',
      bytes: Buffer.from(
        'customer_id,email,card,phone,dob,note\n1,ana@example.com,4111111111111111,14155550123,1980-01-02,call ben@example.com\n2,eve@example.com,5555555555554444,14155550199,1990-05-06,ok\n',
      ),
    });
    await h.app.idle();
    const [first, second] = messagesRequests().slice(before);
    const input = JSON.stringify(first?.body.messages);
    expect(input).toContain('customers.csv → table `customers_csv`, 2 rows × 6 columns');
    for (const raw of ['4111111111111111', '14155550123', '1980-01-02', '1990-05-06'])
      expect(input).not.toContain(raw);
    const [result] = toolResults(second);
    expect(result?.content).toContain('<email>');
    expect(result?.content).toContain('<card ****1111>');
    expect(result?.content).toContain('<phone>');
    for (const raw of ['ana@example.com', 'ben@example.com', '4111111111111111', '14155550123', '1980-01-02'])
      expect(result?.content).not.toContain(raw);
  });

  it('a Parquet file shared with the mention that starts the task is loaded, profiled and queried', async () => {
    h = await startHarness();
    h.anthropic.script(
      sqlToolRound(
        'select kind, count(*) from events_parquet group by kind order by kind',
        'counting events',
      ),
      textReply('## Events\nViews outnumber clicks two to one.'),
    );
    const shared = h.slack.shareFile({
      channel: CHANNEL,
      user: ANA,
      name: 'events.parquet',
      bytes: await parquetBytes(),
      text: `<@${FAKE_BOT_USER_ID}> what is in this file?`,
    });
    // Slack sends the mention twice: app_mention (with the files) and the file_share message.
    await deliver({ ...shared.event, type: 'app_mention', subtype: undefined });
    await deliver(shared.event);
    await h.app.idle();
    const threadTs = String(shared.event.ts);
    const [first, second] = messagesRequests();
    const input = JSON.stringify(first?.body.messages);
    expect(input).toContain('what is in this file?');
    expect(input).toContain('events.parquet → table `events_parquet`, 120 rows × 2 columns');
    expect(input).toContain('event_id BIGINT (0% null');
    expect(toolResults(second)[0]?.content).toContain('click | 40');
    expect(toolResults(second)[0]?.content).toContain('view | 80');
    expect(
      botTexts(threadTs).filter((t) =>
        t.includes('Read `events.parquet` → table `events_parquet` (120 rows × 2 columns)'),
      ),
    ).toHaveLength(1);
  });

  it('a 200 MB file, a PNG named .csv and a download longer than its declared size are refused with a clear reply', async () => {
    h = await startHarness();
    const threadTs = await startTask();
    const big = await dropFile(threadTs, {
      name: 'big.csv',
      bytes: Buffer.from('a,b\n1,2\n'),
      declaredSize: 200 * 1024 * 1024,
    });
    await dropFile(threadTs, { name: 'orders.csv', bytes: PNG });
    await dropFile(threadTs, {
      name: 'lying.csv',
      bytes: Buffer.from(`id\n${'1\n'.repeat(20_000)}`),
      declaredSize: 100,
    });
    await h.app.idle();
    const replies = botTexts(threadTs);
    expect(replies).toContain(
      ':warning: Not read: `big.csv` is larger than the 50 MB a file may have (200 MB).',
    );
    expect(replies).toContain(':warning: Not read: `orders.csv` is not CSV: it looks like a PNG image.');
    expect(replies).toContain(
      ':warning: Not read: `lying.csv` is larger than Slack said it was (100 bytes).',
    );
    // The 200 MB file was refused on its declared size: never downloaded.
    expect(h.slack.fileDownloads.some((d) => d.path.includes(big.fileId))).toBe(false);
    // The agent is told, and has no such tables.
    const input = JSON.stringify(messagesRequests().at(-1)?.body.messages);
    expect(input).toContain('big.csv: not read, larger than the 50 MB a file may have (200 MB)');
  });

  it('the bot token goes only to Slack’s file host: a files.info pointing elsewhere, or a redirect there, is refused', async () => {
    h = await startHarness();
    attacker = createServer((req, res) => {
      attackerRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      res.writeHead(200).end('id\n1\n');
    });
    await new Promise<void>((resolve) => attacker?.listen(0, '127.0.0.1', resolve));
    const evil = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    const threadTs = await startTask();
    await dropFile(threadTs, {
      name: 'stolen.csv',
      bytes: Buffer.from('id\n1\n'),
      downloadUrl: `${evil}/steal.csv`,
    });
    await dropFile(threadTs, {
      name: 'moved.csv',
      bytes: Buffer.from('id\n1\n'),
      redirectTo: `${evil}/moved.csv`,
    });
    await h.app.idle();
    expect(attackerRequests).toEqual([]);
    const replies = botTexts(threadTs);
    expect(replies).toContain(
      ":warning: Not read: `stolen.csv` is not downloadable from Slack (the download address is not on Slack's file host).",
    );
    expect(replies).toContain(
      ':warning: Not read: `moved.csv` is not downloadable from Slack (Slack redirected the download (the bot may lack access)).',
    );
    // What did reach the file host carried the bot token, and only there.
    for (const download of h.slack.fileDownloads)
      expect(download.authorization).toBe(`Bearer ${TEST_SECRETS.botToken}`);
    // The fake answers a request without the token as Slack does: a redirect to the sign-in page.
    const direct = await fetch(`${h.slack.apiUrl.replace(/\/api\/$/, '')}${h.slack.fileDownloads[0]?.path}`, {
      redirect: 'manual',
    });
    expect(direct.status).toBe(302);
  });

  it('a file shared only in another channel is not read, even when its id is put in this thread', async () => {
    h = await startHarness();
    const threadTs = await startTask();
    const elsewhere = h.slack.shareFile({
      channel: OTHER_CHANNEL,
      user: 'U0EVE0001',
      name: 'salaries.csv',
      bytes: Buffer.from('name,salary\nx,1\n'),
    });
    const message = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text: 'here', thread_ts: threadTs });
    await deliver({
      type: 'message',
      subtype: 'file_share',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text: 'here',
      ts: message.ts,
      thread_ts: threadTs,
      // The event names it innocently; files.info would tell its real name.
      files: [{ id: elsewhere.fileId, name: 'a.csv' }],
    });
    await h.app.idle();
    expect(botTexts(threadTs)).toContain(':warning: Not read: `a.csv` is not shared in this conversation.');
    expect(botTexts(threadTs).join('\n')).not.toContain('salaries');
    expect(h.slack.fileDownloads).toEqual([]);
    expect(JSON.stringify(messagesRequests().at(-1)?.body.messages)).not.toContain('salar');
    // Nor is it kept.
    expect(h.query<{ name: string }>('select name from thread_files').map((r) => r.name)).toEqual(['a.csv']);
  });

  it('exactly one reply per file across a retry, a post that landed but failed, and later turns that reload it', async () => {
    h = await startHarness();
    const threadTs = await startTask();
    // The reply lands in Slack but the call fails (a timeout after delivery): it must not be posted again.
    h.slack.failNext('chat.postMessage', { status: 500, afterLanding: true }, 1, (args) =>
      String(args.text ?? '').includes('Read `orders.csv`'),
    );
    const shared = h.slack.shareFile({
      channel: CHANNEL,
      threadTs,
      user: ANA,
      name: 'orders.csv',
      bytes: Buffer.from(ORDERS_CSV),
    });
    await deliver(shared.event, 'EvFileShare1');
    await deliver(shared.event, 'EvFileShare1', 1);
    await h.app.idle();
    const told = () => botTexts(threadTs).filter((t) => t.includes('Read `orders.csv`'));
    expect(told()).toHaveLength(1);
    // A later reply in the thread: the file is loaded again for that answer (from Slack) and not re-announced.
    const before = messagesRequests().length;
    const later = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text: 'and the average amount?',
      thread_ts: threadTs,
    });
    await deliver({
      type: 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text: later.text,
      ts: later.ts,
      thread_ts: threadTs,
    });
    await h.app.idle();
    await until(() => messagesRequests().length > before);
    expect(JSON.stringify(messagesRequests().at(-1)?.body.messages)).toContain(
      'orders.csv → table `orders_csv`, 4 rows × 3 columns',
    );
    expect(told()).toHaveLength(1);
    expect(h.slack.fileDownloads.filter((d) => d.status === 200)).toHaveLength(2);
  });

  it('what the bot remembers of a shared file (id, name, table) is pruned with its task after RETENTION_DAYS', async () => {
    h = await startHarness({ env: { RETENTION_DAYS: '30' } });
    const oldThread = await startTask('an old question');
    await dropFile(oldThread, { name: 'old.csv', bytes: Buffer.from('id\n1\n') });
    const liveThread = await startTask('a live question');
    await dropFile(liveThread, { name: 'live.csv', bytes: Buffer.from('id\n1\n') });
    await h.app.idle();
    const writer = new Database(h.databasePath);
    try {
      const longAgo = Date.now() - 31 * 24 * 60 * 60 * 1000;
      for (const table of ['tasks', 'turns', 'thread_files'])
        writer.prepare(`update ${table} set created_at = ?`).run(longAgo);
      writer.prepare('update tasks set updated_at = ? where thread_ts = ?').run(longAgo, oldThread);
      writer
        .prepare('update turns set created_at = ? where task_id = (select id from tasks where thread_ts = ?)')
        .run(Date.now(), liveThread);
    } finally {
      writer.close();
    }
    await h.restart();
    await until(() => h.logs.some((l) => l.includes('pruned stored data older than RETENTION_DAYS')));
    expect(h.query<{ name: string }>('select name from thread_files').map((r) => r.name)).toEqual([
      'live.csv',
    ]);
  });

  it('with SANDBOX_ENABLED=false a file is not downloaded and the thread is told why', async () => {
    h = await startHarness({ env: { SANDBOX_ENABLED: 'false' } });
    const threadTs = await startTask();
    await dropFile(threadTs, { name: 'orders.csv', bytes: Buffer.from(ORDERS_CSV) });
    await h.app.idle();
    expect(botTexts(threadTs)).toContain(
      ':warning: Not read: `orders.csv` is not loaded: the SQL sandbox is turned off (SANDBOX_ENABLED=false).',
    );
    expect(h.slack.fileDownloads).toEqual([]);
  });

  it('FILES_PER_TASK: a file past the limit is refused with a reply and not downloaded', async () => {
    h = await startHarness({ env: { FILES_PER_TASK: '1' } });
    const threadTs = await startTask();
    await dropFile(threadTs, { name: 'first.csv', bytes: Buffer.from('id\n1\n') });
    await h.app.idle();
    const second = await dropFile(threadTs, { name: 'second.csv', bytes: Buffer.from('id\n2\n') });
    await h.app.idle();
    const replies = botTexts(threadTs);
    expect(replies).toContain(
      ':page_facing_up: Read `first.csv` → table `first_csv` (1 row × 1 column). I can query it in my sandbox.',
    );
    expect(replies).toContain(':warning: Not read: `second.csv` is over the limit of 1 file a task reads.');
    expect(h.slack.fileDownloads.some((d) => d.path.includes(second.fileId))).toBe(false);
  });

  it('30 files in one message with FILES_PER_TASK=5: files.info only for the first 5, one reply for all of them', async () => {
    h = await startHarness({ env: { FILES_PER_TASK: '5' } });
    const threadTs = await startTask();
    const shared = Array.from({ length: 30 }, (_, i) =>
      h.slack.shareFile({
        channel: CHANNEL,
        threadTs,
        user: ANA,
        name: `part_${i + 1}.csv`,
        bytes: Buffer.from(`id\n${i}\n`),
      }),
    );
    const infoBefore = h.slack.callsTo('files.info').length;
    const postsBefore = h.slack.callsTo('chat.postMessage').length;
    const first = shared[0]?.event ?? {};
    await deliver({ ...first, files: shared.flatMap((s) => s.event.files as unknown[]) });
    await h.app.idle();
    expect(h.slack.callsTo('files.info').length - infoBefore).toBeLessThanOrEqual(5);
    const posts = h.slack
      .callsTo('chat.postMessage')
      .slice(postsBefore)
      .filter((c) => /Read `|Not read/.test(String(c.args.text ?? '')));
    expect(posts.length).toBeLessThanOrEqual(2);
    const replies = botTexts(threadTs);
    expect(replies.filter((t) => t.startsWith(':page_facing_up: Read `part_'))).toHaveLength(5);
    // The overflow is named from the event in one line; a thread records at most 20 files.
    expect(replies).toContain(
      ':warning: Not read: `part_6.csv`, `part_7.csv`, `part_8.csv`, `part_9.csv`, `part_10.csv`, `part_11.csv`, `part_12.csv`, `part_13.csv`, `part_14.csv`, `part_15.csv` and 5 more are over the limit of 5 files a task reads.',
    );
    expect(h.query<{ n: number }>('select count(*) as n from thread_files')[0]?.n).toBe(20);
    expect(h.slack.fileDownloads).toHaveLength(5);
  });

  it('files.info failing for a moment (a 5xx) decides nothing: no reply, the file stays new and is read on the next answer', async () => {
    h = await startHarness();
    const threadTs = await startTask();
    h.slack.failNext('files.info', { status: 500 }, 1);
    await dropFile(threadTs, { name: 'orders.csv', bytes: Buffer.from(ORDERS_CSV) });
    await h.app.idle();
    expect(botTexts(threadTs).filter((t) => t.includes('orders.csv'))).toEqual([]);
    expect(h.query<{ status: string }>('select status from thread_files')).toEqual([{ status: 'new' }]);
    expect(JSON.stringify(messagesRequests().at(-1)?.body.messages)).toContain(
      'orders.csv: not read, not readable in Slack just now; tried again next answer',
    );
    const later = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text: 'and now?', thread_ts: threadTs });
    await deliver({
      type: 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text: later.text,
      ts: later.ts,
      thread_ts: threadTs,
    });
    await h.app.idle();
    expect(
      botTexts(threadTs).filter((t) => t.includes('Read `orders.csv` → table `orders_csv`')),
    ).toHaveLength(1);
  });

  it('a .sql file is offered to the agent as text with what the engines’ parsers say of it', async () => {
    h = await startHarness();
    const threadTs = await startTask();
    await dropFile(threadTs, {
      name: 'model.sql',
      bytes: Buffer.from('select order_id,\n  from orders where;\n'),
    });
    await h.app.idle();
    expect(botTexts(threadTs)).toContain(
      ':page_facing_up: Read `model.sql` as SQL text; I will take it into account.',
    );
    const input = JSON.stringify(messagesRequests().at(-1)?.body.messages);
    expect(input).toContain('model.sql (SQL text; DuckDB');
    expect(input).toContain('select order_id,\\n  from orders where;');
    expect(input).toMatch(/PostgreSQL's parser: line 2: syntax error/);
  });
});
