import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT } from '../../src/agent/prompt.js';
import { TOOLS } from '../../src/agent/tools.js';
import { type Block, type MessageReply, textReply } from '../support/fake-anthropic.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, startHarness } from '../support/harness.js';
import { HOSTILE_STATEMENTS } from '../support/hostile-statements.js';
import { type PgliteServer, startPgliteServer } from '../support/pglite-server.js';
import { seedPostgresWarehouse, warehouseChecksum, warehouseRows } from '../support/sample-warehouse.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0DATA001';
const OTHER_CHANNEL = 'C0OTHER01';
const ADMIN = 'U0ADMIN01';
const ANA = 'U0ANA0001';
const STRANGER_TEAM = 'T0STRANGER';
const DATA_TOOLS = [
  'list_tables',
  'describe_table',
  'sample_rows',
  'profile_columns',
  'explain_query',
  'run_query',
];
const CACHED_SYSTEM = [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }];
const ANSWER =
  '## Data Engineering Solution: Orders report\n### Data Architecture\nBased on what the tables hold.\n';

/**
 * The data tools end to end: a real PostgreSQL (PGlite over the wire, the real `pg` driver), mapped to
 * a channel through the real `/data-engineer sources use` command, a scripted Claude calling the tools,
 * and what reached the fake Anthropic, the fake Slack and the audit table checked.
 */
let server: PgliteServer;
let pristine: string;

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  server = await startPgliteServer();
  await withClient(seedPostgresWarehouse);
  pristine = await withClient(warehouseChecksum);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** One model round calling these tools (ids are the fake's). */
const toolRound = (...calls: { name: string; input: Record<string, unknown> }[]): MessageReply => ({
  kind: 'message',
  content: calls.map((call): Block => ({ type: 'tool_use', name: call.name, input: call.input })),
});

interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

/** The tool results the bot sent back in a request (its last user message). */
function toolResults(
  body: { messages: { role: string; content: unknown }[] } | undefined,
): ToolResultBlock[] {
  const last = body?.messages.at(-1)?.content;
  return Array.isArray(last) ? (last as ToolResultBlock[]).filter((b) => b.type === 'tool_result') : [];
}

const toolNames = (body: { tools?: { name: string }[] } | undefined) =>
  (body?.tools ?? []).map((t) => t.name);

interface AuditRow {
  team_id: string;
  channel_id: string;
  user_id: string;
  task_id: number;
  source_name: string;
  tool: string;
  statement: string;
  rows_returned: number;
  duration_ms: number;
  refused: number;
  reason: string | null;
}

describe('data sources end to end', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      dataSources: [{ name: 'warehouse', kind: 'postgres', url: server.url, statementTimeoutMs: 1_500 }],
      // A long lease: the hostile round runs ~10 s of slow statements, and a 1 s lease can lapse under load.
      env: { DATA_TOOL_CALLS_PER_ANSWER: '100', JOB_LEASE_SECONDS: '60' },
    });
    h.slack.addUser({ id: ADMIN, is_admin: true });
    h.slack.addUser({ id: ANA });
    h.slack.addChannel(OTHER_CHANNEL, { member: true, name: 'other' });
  });
  afterEach(async () => {
    await h.close();
  });

  /** A sub-command's private answer: in the ack, or (after Slack calls) through response_url. */
  async function run(text: string, user: string, channel = CHANNEL): Promise<string> {
    const before = h.slack.responses.length;
    const response = await h.command(text, { user_id: user, channel_id: channel });
    expect(response.status).toBe(200);
    const inAck = (response.json as { text?: string } | undefined)?.text;
    if (inAck) return inAck;
    await until(() => h.slack.responses.length > before);
    return (h.slack.responses[before]?.body as { text?: string } | undefined)?.text ?? '';
  }

  /** A task by Ana in `channel`, answered; returns the model requests it made. */
  async function task(text: string, channel = CHANNEL) {
    const before = h.anthropic.requests.length;
    expect((await h.command(text, { user_id: ANA, channel_id: channel })).status).toBe(200);
    await h.app.idle();
    return h.anthropic.requests.slice(before);
  }

  /** The bot's answer messages in the channel's newest task thread. */
  function answerMessages(channel = CHANNEL): FakeMessage[] {
    const [taskRow] = h.query<{ thread_ts: string }>(
      'select thread_ts from tasks where channel_id = ? order by id desc limit 1',
      channel,
    );
    return h.slack
      .threadMessages(channel, taskRow?.thread_ts ?? '')
      .filter((m) => m.bot_id && m.markdown_text !== undefined);
  }

  const audit = () => h.query<AuditRow>('select * from data_tool_calls order by id');

  it('maps a channel with the real command; a task there lists, describes, profiles and EXPLAINs the real tables, shown as steps, closed with what it looked at, audited', async () => {
    expect(await run('sources', ANA)).toContain('This channel uses no data source');
    expect(await run('sources use warehouse', ADMIN)).toMatch(
      /^This channel’s tasks may now read `warehouse`/,
    );
    expect(await run('sources', ANA)).toMatch(
      /`warehouse` · PostgreSQL · EXPLAIN only \(no ANALYZE\) · \*used in this channel\*/,
    );
    // Names and kinds only: the connection string never reaches Slack (nor the logs).
    const sourcesText = await run('sources', ADMIN);
    expect(sourcesText).not.toContain(server.url);
    expect(sourcesText).not.toMatch(/postgres:\/\/|127\.0\.0\.1|password/);
    expect(h.logs.join('\n')).not.toContain(server.url);

    h.anthropic.script(
      toolRound({ name: 'list_tables', input: { schema: 'public' } }),
      toolRound(
        { name: 'describe_table', input: { schema: 'public', table: 'orders' } },
        {
          name: 'profile_columns',
          input: { schema: 'public', table: 'orders', columns: ['status', 'coupon'] },
        },
      ),
      toolRound({
        name: 'explain_query',
        input: {
          sql: "SELECT status, count(*) FROM orders WHERE ordered_at >= '2026-01-01' GROUP BY status",
        },
      }),
      textReply(ANSWER),
    );
    const requests = await task('tune the daily orders-by-status report');
    expect(requests).toHaveLength(4);

    // Every request of the answer offers the data tools, after the usual ones, and says which source.
    for (const request of requests) {
      expect(toolNames(request.body)).toEqual([...TOOLS.map((t) => t.name), ...DATA_TOOLS]);
      expect(JSON.stringify(request.body.system[0])).toBe(JSON.stringify(CACHED_SYSTEM[0]));
      expect(request.body.system[1].text).toMatch(/^# This channel's data\n.*`warehouse` \(PostgreSQL\)/);
    }
    // The tool results that reached the model hold the real tables, columns, profile and plan.
    const [listed] = toolResults(requests[1]?.body);
    expect(listed?.is_error).toBeUndefined();
    for (const table of ['customers', 'orders', 'events']) expect(listed?.content).toContain(table);
    const [described, profiled] = toolResults(requests[2]?.body);
    for (const column of ['order_number', 'customer_id', 'amount', 'status', 'coupon', 'ordered_at'])
      expect(described?.content).toContain(column);
    expect(profiled?.content).toContain('coupon');
    expect(profiled?.content).toContain('refunded');
    const [plan] = toolResults(requests[3]?.body);
    expect(plan?.is_error).toBeUndefined();
    expect(plan?.content).toMatch(/Scan on orders|Scan using .* on orders/);
    expect(plan?.content).toMatch(/HashAggregate|GroupAggregate|Aggregate/);

    // Each call was a step on the answer while it ran, all complete at the end.
    const [answer, ...rest] = answerMessages();
    expect(rest).toEqual([]);
    const steps = (answer?.chunks ?? []).filter((c: { type?: string }) => c.type === 'task_update') as {
      id: string;
      title: string;
      status: string;
    }[];
    const titles = [...new Map(steps.map((c) => [c.id, c.title])).values()];
    expect(titles).toEqual([
      'Listing the tables of public',
      'Describing public.orders',
      'Profiling public.orders',
      'Reading the EXPLAIN plan',
      'Writing the solution',
    ]);
    const sequence = steps.map((c) => `${c.title}:${c.status}`);
    expect(sequence).toContain('Describing public.orders:in_progress');
    expect([...new Map(steps.map((c) => [c.id, c.status])).values()].every((s) => s === 'complete')).toBe(
      true,
    );

    // The bot, not the model, says what came from the data.
    expect(answer?.markdown_text).toBe(
      `${ANSWER}\n\n_Looked at: 1 table list, 1 table, 1 profile, 1 EXPLAIN plan (source \`warehouse\`)._`,
    );
    // The stored turn is the model's answer alone (the line is not fed back as the model's words).
    expect(
      h.query<{ content: string }>("select content from turns where role = 'assistant'")[0]?.content,
    ).toBe(ANSWER);

    const rows = audit();
    expect(rows.map((r) => [r.tool, r.statement, r.refused, r.reason])).toEqual([
      ['list_tables', 'public', 0, null],
      ['describe_table', 'public.orders', 0, null],
      ['profile_columns', 'public.orders (status, coupon)', 0, null],
      [
        'explain_query',
        "EXPLAIN SELECT status, count(*) FROM orders WHERE ordered_at >= '2026-01-01' GROUP BY status",
        0,
        null,
      ],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({
        team_id: 'T0FAKE001',
        channel_id: CHANNEL,
        user_id: ANA,
        source_name: 'warehouse',
      });
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);
    }
    expect(rows[0]?.rows_returned).toBeGreaterThanOrEqual(3);
    expect(rows[1]?.rows_returned).toBe(7);

    // The audit, for admins only.
    expect(await run('audit', ANA)).toMatch(
      /^Sorry, only workspace admins and owners .*read the data-tool audit/,
    );
    const listing = await run('audit', ADMIN);
    expect(listing).toMatch(/^\*Last 4 data-tool calls in this workspace, newest first:\*/);
    expect(listing).toContain(
      `<#${CHANNEL}> · <@${ANA}> · \`warehouse\` · explain_query · \`EXPLAIN SELECT status`,
    );
    expect(listing).toContain('list_tables · `public` ·');

    // In a channel without a source the data tools are absent: today's request, byte for byte.
    const [unmapped] = await task('tune the daily orders-by-status report', OTHER_CHANNEL);
    expect(JSON.stringify(unmapped?.body.tools)).toBe(JSON.stringify(TOOLS));
    expect(JSON.stringify(unmapped?.body.system)).toBe(JSON.stringify(CACHED_SYSTEM));
    expect(
      answerMessages(OTHER_CHANNEL)
        .map((m) => m.markdown_text)
        .join(''),
    ).not.toContain('Looked at');
  });

  it('refuses a data call made after an admin removed the source mid-answer, and audits it', async () => {
    await run('sources use warehouse', ADMIN);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    h.anthropic.script(
      toolRound({ name: 'list_tables', input: {} }),
      { ...toolRound({ name: 'describe_table', input: { schema: 'public', table: 'customers' } }), gate },
      textReply(ANSWER),
    );
    expect((await h.command('model the customers table', { user_id: ANA, channel_id: CHANNEL })).status).toBe(
      200,
    );
    await until(() => h.anthropic.requests.length >= 2);
    expect(await run('sources remove warehouse', ADMIN)).toMatch(/no longer read `warehouse`/);
    open();
    await h.app.idle();
    const [refused] = toolResults(h.anthropic.requests[2]?.body);
    expect(refused).toMatchObject({ is_error: true });
    expect(refused?.content).toMatch(/^Refused: this channel no longer has this data source/);
    expect(refused?.content).not.toContain('full_name');
    expect(audit().map((r) => [r.tool, r.refused])).toEqual([
      ['list_tables', 0],
      ['describe_table', 1],
    ]);
    expect(answerMessages()[0]?.markdown_text).toContain(
      'Looked at: 1 table list (source `warehouse`); 1 call refused or failed.',
    );
  });

  it(`refuses or stops every one of ${HOSTILE_STATEMENTS.length} hostile statements sent through run_query, audits each, and leaves the warehouse unchanged`, async () => {
    expect(HOSTILE_STATEMENTS.length).toBeGreaterThanOrEqual(25);
    await run('sources use warehouse', ADMIN);
    h.anthropic.script(
      toolRound(...HOSTILE_STATEMENTS.map((s) => ({ name: 'run_query', input: { sql: s.sql } }))),
      textReply(ANSWER),
    );
    const requests = await task('clean up the orders table for me');
    const results = toolResults(requests[1]?.body);
    expect(results).toHaveLength(HOSTILE_STATEMENTS.length);
    HOSTILE_STATEMENTS.forEach((statement, i) => {
      const result = results[i];
      expect(result?.is_error, statement.name).toBe(true);
      // Refused by the read-only guard, or (too long to be a query) by the tool's own input schema.
      if (statement.expect === 'refused')
        expect(result?.content, statement.name).toMatch(/^Refused|^Not recorded: sql: Too big/);
      else expect(result?.content, statement.name).toMatch(/^Refused|timed out|cancel/i);
    });
    const rows = audit();
    expect(rows).toHaveLength(HOSTILE_STATEMENTS.length);
    HOSTILE_STATEMENTS.forEach((statement, i) => {
      const row = rows[i];
      expect(row?.tool).toBe('run_query');
      expect(row?.statement).toBe(statement.sql.slice(0, 4_000));
      expect(row?.rows_returned).toBe(0);
      expect(row?.reason, statement.name).toBeTruthy();
      if (statement.expect === 'refused') expect(row?.refused, statement.name).toBe(1);
    });
    // Slow statements PGlite cannot cancel finish in the server first; then the data is as seeded.
    expect(await withClient(warehouseChecksum)).toBe(pristine);
  }, 120_000);

  it('masks emails, phones and card numbers in samples and query results before they reach the model', async () => {
    await run('sources use warehouse', ADMIN);
    h.anthropic.script(
      toolRound(
        { name: 'sample_rows', input: { schema: 'public', table: 'customers', limit: 20 } },
        {
          name: 'run_query',
          input: {
            sql: 'SELECT id, full_name, email, phone, card_number FROM customers ORDER BY id LIMIT 20',
          },
        },
        {
          name: 'profile_columns',
          input: { schema: 'public', table: 'customers', columns: ['email', 'phone'] },
        },
      ),
      textReply(ANSWER),
    );
    const requests = await task('what does the customers table look like?');
    const results = toolResults(requests[1]?.body);
    expect(results).toHaveLength(3);
    for (const result of results) expect(result.is_error).toBeUndefined();
    const sent = JSON.stringify(requests.map((r) => r.body));
    const customers = warehouseRows().customers.slice(0, 20);
    for (const customer of customers) {
      expect(sent).not.toContain(customer.email);
      expect(sent).not.toContain(customer.phone);
      expect(sent).not.toContain(customer.card_number);
    }
    // The rows themselves did arrive (ids and countries are not personal data).
    expect(results[1]?.content).toContain('card_number');
  });

  it('keeps personal data a source error quotes out of the model and the audit', async () => {
    await run('sources use warehouse', ADMIN);
    // PostgreSQL quotes the value it could not cast: here every customer's email, name and phone.
    const sql = "select string_agg(email||' '||full_name||' '||phone, ',')::int from customers";
    h.anthropic.script(toolRound({ name: 'run_query', input: { sql } }), textReply(ANSWER));
    const requests = await task('how many customers do we have?');
    const [failed] = toolResults(requests[1]?.body);
    expect(failed).toMatchObject({ is_error: true });
    expect(failed?.content).toMatch(/^The source failed: .*invalid input syntax for type integer/);
    const rows = audit();
    expect(rows.map((r) => [r.tool, r.statement, r.refused])).toEqual([['run_query', sql, 0]]);
    expect(rows[0]?.reason).toMatch(/invalid input syntax for type integer/);
    const listing = await run('audit', ADMIN);
    const seen = [JSON.stringify(requests.map((r) => r.body)), JSON.stringify(rows), listing].join('\n');
    for (const customer of warehouseRows().customers) {
      expect(seen).not.toContain(customer.email);
      expect(seen).not.toContain(customer.email.split('@')[0]);
      expect(seen).not.toContain(customer.full_name);
      expect(seen).not.toContain(customer.phone);
    }
  });

  it('masks personal data renamed or transformed by a query, and keeps aggregates of other tables readable', async () => {
    await run('sources use warehouse', ADMIN);
    const bypasses = [
      'select full_name as who, email as contact_point, phone as p, card_number as c from customers',
      "select split_part(email, '@', 1) as u, replace(email, '@', ' at ') as e from customers",
      "select translate(phone, '0123456789', 'abcdefghij') as p, upper(email) as e, lower(full_name) as n from customers",
      "select full_name || ' / ' || email || ' / ' || phone || ' / ' || card_number as line from customers",
      'select x.a, x.b from (select full_name as a, phone as b from public.customers) as x',
      'select row_to_json(c) as j from customers c',
      'select c::text as t from customers c',
      'with people as (select full_name, email, phone from customers) select * from people',
      "select regexp_replace(phone, '[^0-9]', '', 'g')::bigint as digits, replace(card_number, ' ', '')::numeric as n from customers",
      'select o.id, c.email as buyer from orders o join "customers" c on c.id = o.customer_id',
    ];
    h.anthropic.script(
      toolRound(...bypasses.map((sql) => ({ name: 'run_query', input: { sql } }))),
      toolRound({
        name: 'run_query',
        input: { sql: 'select count(*) as n, avg(amount) as mean_amount, max(status) as top from orders' },
      }),
      textReply(ANSWER),
    );
    const requests = await task('what do our customers look like?');
    const results = toolResults(requests[1]?.body);
    expect(results).toHaveLength(bypasses.length);
    results.forEach((result, i) => {
      expect(result.is_error, bypasses[i]).toBeUndefined();
      expect(result.content, bypasses[i]).toMatch(/^\(Personal data: this query reads public\.customers/);
    });
    const sent = JSON.stringify(requests.map((r) => r.body));
    const lower = sent.toLowerCase();
    for (const customer of warehouseRows().customers) {
      const local = customer.email.split('@')[0] ?? customer.email;
      const digits = customer.phone.replace(/\D/g, '');
      for (const fragment of [customer.email, local, customer.full_name, customer.phone, digits]) {
        expect(lower, fragment).not.toContain(fragment.toLowerCase());
      }
      expect(sent).not.toContain(customer.card_number.replace(/ /g, ''));
      expect(sent).not.toContain(customer.card_number);
    }
    // A table without personal columns: its counts, averages and text read as they are.
    const [aggregate] = toolResults(requests[2]?.body);
    expect(aggregate?.is_error).toBeUndefined();
    expect(aggregate?.content).not.toContain('Personal data');
    expect(aggregate?.content).not.toContain('masked');
    expect(aggregate?.content).toMatch(/^1 row:\nn \| mean_amount \| top\n600 \| \d+\.\d+ \| shipped/);
  });

  it('offers no data tools to a guest or another organisation’s user, nor in a Slack Connect channel, and maps no source there', async () => {
    const SHARED = 'C0SHARED1';
    const PENDING = 'C0PENDIN1';
    const GUEST = 'U0GUEST01';
    const SINGLE = 'U0SINGLE1';
    const STRANGER = 'U0STRANG1';
    h.slack.addChannel(SHARED, { member: true, name: 'with-acme', sharing: 'external' });
    h.slack.addChannel(PENDING, { member: true, name: 'invite-acme', sharing: 'pending' });
    h.slack.addUser({ id: GUEST, is_restricted: true });
    h.slack.addUser({ id: SINGLE, is_ultra_restricted: true });
    h.slack.addUser({ id: STRANGER, team_id: 'T0ACME0001', is_stranger: true });

    // An admin cannot map a source in a channel shared with another organisation (or about to be).
    for (const channel of [SHARED, PENDING]) {
      expect(await run('sources use warehouse', ADMIN, channel)).toMatch(
        /^This channel is shared with another organisation \(Slack Connect\): no data source can be used here/,
      );
    }
    expect(h.query('select * from channel_data_sources')).toEqual([]);
    // Shared only between workspaces of the bot's own Enterprise Grid organisation: not external.
    h.slack.addChannel('C0ORGSHR1', { member: true, name: 'grid-wide', sharing: 'org' });
    expect(await run('sources use warehouse', ADMIN, 'C0ORGSHR1')).toMatch(
      /^This channel’s tasks may now read/,
    );
    expect(await run('sources remove warehouse', ADMIN, 'C0ORGSHR1')).toMatch(/no longer read/);

    // A channel mapped before it was shared: its tasks get today's request, byte for byte.
    await run('sources use warehouse', ADMIN);
    const writer = new Database(h.databasePath);
    writer
      .prepare(
        "insert into channel_data_sources (team_id, channel_id, source_name, set_by) values ('T0FAKE001', ?, 'warehouse', ?)",
      )
      .run(SHARED, ADMIN);
    writer.close();
    const asked = async (user: string, channel: string) => {
      const before = h.anthropic.requests.length;
      expect((await h.command('tune the orders report', { user_id: user, channel_id: channel })).status).toBe(
        200,
      );
      await h.app.idle();
      return h.anthropic.requests.slice(before);
    };
    const [inShared] = await asked(ANA, SHARED);
    expect(JSON.stringify(inShared?.body.tools)).toBe(JSON.stringify(TOOLS));
    expect(JSON.stringify(inShared?.body.system)).toBe(JSON.stringify(CACHED_SYSTEM));
    // Guests and another organisation's user in the mapped internal channel: no tools either.
    for (const user of [GUEST, SINGLE, STRANGER]) {
      const [request] = await asked(user, CHANNEL);
      expect(JSON.stringify(request?.body.tools), user).toBe(JSON.stringify(TOOLS));
      expect(JSON.stringify(request?.body.system), user).toBe(JSON.stringify(CACHED_SYSTEM));
    }
    // A full member there still gets them.
    const [member] = await asked(ANA, CHANNEL);
    expect(toolNames(member?.body)).toEqual([...TOOLS.map((t) => t.name), ...DATA_TOOLS]);
    expect(audit()).toEqual([]);
  });

  it('lets only admins map a source; an unknown name lists the known ones; another workspace sees nothing of this one', async () => {
    expect(await run('sources use warehouse', ANA)).toMatch(
      /^Sorry, only workspace admins and owners .*change which data source a channel uses/,
    );
    expect(await run('sources remove warehouse', ANA)).toMatch(/^Sorry, only workspace admins/);
    expect(h.query('select * from channel_data_sources')).toEqual([]);
    expect(await run('sources use lake', ADMIN)).toBe(
      'There is no data source `lake`. Known sources: `warehouse`.',
    );
    expect(await run('sources use', ADMIN)).toMatch(/^`sources use` takes one source name/);
    expect(h.query('select * from channel_data_sources')).toEqual([]);

    // Another workspace's mapping, context and audit rows for the same channel id.
    const writer = new Database(h.databasePath);
    writer
      .prepare(
        "insert into channel_data_sources (team_id, channel_id, source_name, set_by) values (?, ?, 'warehouse', ?)",
      )
      .run(STRANGER_TEAM, CHANNEL, ADMIN);
    writer
      .prepare(
        "insert into data_tool_calls (team_id, channel_id, user_id, task_id, source_name, tool, statement) values (?, ?, ?, 1, 'warehouse', 'run_query', 'SELECT stranger_secret')",
      )
      .run(STRANGER_TEAM, CHANNEL, ADMIN);
    writer.close();
    expect(await run('sources', ANA)).toContain('This channel uses no data source');
    expect(await run('audit', ADMIN)).toBe('No data-tool calls in this workspace yet.');
    expect(await run('audit here', ADMIN)).toBe('No data-tool calls in this channel yet.');
    const [request] = await task('tune the orders report');
    expect(JSON.stringify(request?.body.tools)).toBe(JSON.stringify(TOOLS));
  });

  it('refuses data calls past DATA_TOOL_CALLS_PER_ANSWER and input the schema refuses, auditing each', async () => {
    await h.close();
    h = await startHarness({
      dataSources: [{ name: 'warehouse', kind: 'postgres', url: server.url }],
      env: { DATA_TOOL_CALLS_PER_ANSWER: '2' },
    });
    h.slack.addUser({ id: ADMIN, is_admin: true });
    h.slack.addUser({ id: ANA });
    await run('sources use warehouse', ADMIN);
    h.anthropic.script(
      toolRound(
        { name: 'run_query', input: { sql: '' } },
        { name: 'list_tables', input: {} },
        { name: 'describe_table', input: { schema: 'public', table: 'orders' } },
      ),
      textReply(ANSWER),
    );
    const requests = await task('look at the orders');
    const [invalid, listed, capped] = toolResults(requests[1]?.body);
    expect(invalid).toMatchObject({ is_error: true });
    expect(invalid?.content).toMatch(/^Not recorded: sql: /);
    expect(listed?.is_error).toBeUndefined();
    expect(capped).toMatchObject({ is_error: true });
    expect(capped?.content).toMatch(/^Refused: this answer already made 2 data tool calls/);
    expect(audit().map((r) => [r.tool, r.refused, r.reason?.slice(0, 20) ?? null])).toEqual([
      ['run_query', 1, 'invalid input: sql: '],
      ['list_tables', 0, null],
      ['describe_table', 1, 'this answer already '],
    ]);
  });

  it('sends the data instructions and the team context after the cached system prompt, in that order', async () => {
    await run('sources use warehouse', ADMIN);
    await run('context set Snowflake + dbt; PII stays in the secure schema', ADMIN);
    const [request] = await task('design an orders mart');
    const system = request?.body.system as { text: string; cache_control?: unknown }[];
    expect(system).toHaveLength(2);
    expect(JSON.stringify(system[0])).toBe(JSON.stringify(CACHED_SYSTEM[0]));
    expect(system[1]?.cache_control).toBeUndefined();
    expect(system[1]?.text).toMatch(
      /^# This channel's data\n[\s\S]*\n\n# Team context \(set by this channel's admins[^\n]*\nSnowflake \+ dbt; PII stays in the secure schema$/,
    );
  });

  it('masks personal data written into index definitions, comments and EXPLAIN plans', async () => {
    await run('sources use warehouse', ADMIN);
    const [vip] = warehouseRows().customers;
    const email = vip?.email ?? '';
    const phone = vip?.phone ?? '';
    // Engineers write people into partial indexes and comments; the plan quotes the query's literals.
    await withClient(async (client) => {
      await client.query(`create index customers_not_ceo on customers (id) where email <> '${email}'`);
      await client.query(`comment on column orders.coupon is 'ask ${email} or call ${phone}'`);
    });
    try {
      h.anthropic.script(
        toolRound(
          { name: 'describe_table', input: { schema: 'public', table: 'customers' } },
          { name: 'describe_table', input: { schema: 'public', table: 'orders' } },
          { name: 'explain_query', input: { sql: `select id from customers where email = '${email}'` } },
        ),
        textReply(ANSWER),
      );
      const requests = await task('index the customers table');
      const [customers, orders, plan] = toolResults(requests[1]?.body);
      expect(customers?.content).toContain('customers_not_ceo');
      expect(orders?.content).toMatch(/coupon .*-- ask <email> or call <phone>/);
      expect(plan?.is_error).toBeUndefined();
      expect(plan?.content).toContain('<email>');
      const results = JSON.stringify([customers, orders, plan]);
      expect(results).not.toContain(email);
      expect(results).not.toContain(phone);
    } finally {
      await withClient(async (client) => {
        await client.query('drop index customers_not_ceo');
        await client.query('comment on column orders.coupon is null');
      });
    }
  });
});
