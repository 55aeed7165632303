import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/agent/tools.js';
import { type Block, type MessageReply, textReply } from '../support/fake-anthropic.js';
import { type Harness, startHarness } from '../support/harness.js';
import { HOSTILE_DUCKDB_STATEMENTS } from '../support/hostile-statements.js';
import { warehouseRows, writeWarehouseFiles } from '../support/sample-warehouse.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0DATA001';
const ADMIN = 'U0ADMIN01';
const ANA = 'U0ANA0001';
const ANSWER = '## Data Engineering Solution: Lake report\n### Data Architecture\nFrom the files.\n';

const toolRound = (...calls: { name: string; input: Record<string, unknown> }[]): MessageReply => ({
  kind: 'message',
  content: calls.map((call): Block => ({ type: 'tool_use', name: call.name, input: call.input })),
});

type ToolResultBlock = { type: string; content: string; is_error?: boolean };
const toolResults = (body: { messages: { content: unknown }[] } | undefined): ToolResultBlock[] => {
  const last = body?.messages.at(-1)?.content;
  return Array.isArray(last) ? (last as ToolResultBlock[]).filter((b) => b.type === 'tool_result') : [];
};

/** The same tools over a DuckDB source (CSV and Parquet files): mapped by the real command, masked, audited. */
describe('a channel mapped to a DuckDB source over files', () => {
  let dir: string;
  let paths: Record<string, string>;
  let h: Harness;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lake-e2e-'));
    paths = (await writeWarehouseFiles(dir)).paths;
  }, 60_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    h = await startHarness({
      dataSources: [{ name: 'lake', kind: 'duckdb', paths, statementTimeoutMs: 1_000 }],
    });
    h.slack.addUser({ id: ADMIN, is_admin: true });
    h.slack.addUser({ id: ANA });
  });
  afterEach(async () => {
    await h.close();
  });

  async function run(text: string, user: string): Promise<string> {
    const before = h.slack.responses.length;
    const response = await h.command(text, { user_id: user, channel_id: CHANNEL });
    const inAck = (response.json as { text?: string } | undefined)?.text;
    if (inAck) return inAck;
    await until(() => h.slack.responses.length > before);
    return (h.slack.responses[before]?.body as { text?: string } | undefined)?.text ?? '';
  }

  it('lists, describes and samples the files with PII masked; hostile statements are refused and audited; paths never leave', async () => {
    expect(await run('sources', ADMIN)).toContain('`lake` · DuckDB · EXPLAIN only (no ANALYZE)');
    expect(await run('sources use lake', ADMIN)).toMatch(/may now read `lake` \(DuckDB, read-only\)/);
    h.anthropic.script(
      toolRound({ name: 'list_tables', input: {} }),
      toolRound(
        { name: 'describe_table', input: { schema: 'main', table: 'orders' } },
        { name: 'sample_rows', input: { schema: 'main', table: 'customers', limit: 20 } },
        ...HOSTILE_DUCKDB_STATEMENTS.filter((s) => s.expect === 'refused').map((s) => ({
          name: 'run_query',
          input: { sql: s.sql },
        })),
      ),
      textReply(ANSWER),
    );
    expect(
      (await h.command('design a report on the lake', { user_id: ANA, channel_id: CHANNEL })).status,
    ).toBe(200);
    await h.app.idle();
    const requests = h.anthropic.requests;
    expect(requests).toHaveLength(3);
    expect((requests[0]?.body.tools as { name: string }[] | undefined)?.length).toBe(TOOLS.length + 6);
    const [listed] = toolResults(requests[1]?.body);
    expect(listed?.content).toMatch(/main\.customers[\s\S]*main\.orders[\s\S]*main\.events/);
    const [described, sampled, ...hostile] = toolResults(requests[2]?.body);
    expect(described?.content).toContain('order_number');
    expect(sampled?.is_error).toBeUndefined();
    expect(sampled?.content).toContain('<email>');
    for (const customer of warehouseRows().customers.slice(0, 20)) {
      expect(sampled?.content).not.toContain(customer.email);
      expect(sampled?.content).not.toContain(customer.card_number);
    }
    for (const result of hostile) expect(result.content).toMatch(/^Refused/);
    // File paths never reach the model.
    expect(JSON.stringify(requests.map((r) => r.body))).not.toContain(dir);
    const rows = h.query<{ tool: string; refused: number }>(
      'select tool, refused from data_tool_calls order by id',
    );
    expect(rows).toHaveLength(3 + hostile.length);
    expect(rows.filter((r) => r.refused === 1)).toHaveLength(hostile.length);
    const answer = h.slack.messages.filter((m) => m.bot_id && m.markdown_text?.includes('Looked at'));
    expect(answer.at(-1)?.markdown_text).toContain(
      `_Looked at: 1 table list, 1 table, 1 sample (source \`lake\`); ${hostile.length} calls refused or failed._`,
    );
  }, 60_000);

  it('masks personal data a query renames or transforms, or a failed cast quotes; aggregates of other files stay readable', async () => {
    await run('sources use lake', ADMIN);
    const bypasses = [
      'select full_name as who, email as contact, phone as p from customers',
      "select split_part(email, '@', 1) as u, replace(email, '@', ' at ') as e, upper(email) as m from customers",
      "select translate(phone, '0123456789', 'abcdefghij') as p, full_name || ' ' || card_number as line from customers",
      'select x.a from (select full_name as a from main.customers) x',
      'select to_json(c) as j, c::varchar as t from "Customers" c',
      'with people as (select email from customers) select * from people',
    ];
    h.anthropic.script(
      toolRound(
        ...bypasses.map((sql) => ({ name: 'run_query', input: { sql } })),
        {
          name: 'run_query',
          input: { sql: "select cast(string_agg(email || ' ' || full_name, ',') as integer) from customers" },
        },
        { name: 'run_query', input: { sql: 'select count(*) as n, avg(amount) as mean from orders' } },
      ),
      textReply(ANSWER),
    );
    expect((await h.command('who are our customers?', { user_id: ANA, channel_id: CHANNEL })).status).toBe(
      200,
    );
    await h.app.idle();
    const results = toolResults(h.anthropic.requests[1]?.body);
    expect(results).toHaveLength(bypasses.length + 2);
    for (const result of results.slice(0, bypasses.length)) {
      expect(result.is_error).toBeUndefined();
      expect(result.content).toMatch(/^\(Personal data: this query reads main\.customers/);
    }
    expect(results[bypasses.length]?.is_error).toBe(true);
    const aggregate = results.at(-1);
    expect(aggregate?.content).toMatch(/^1 row:\nn \| mean\n600 \| \d+\.\d+/);
    const seen = `${JSON.stringify(h.anthropic.requests.map((r) => r.body))}\n${JSON.stringify(
      h.query('select * from data_tool_calls'),
    )}`.toLowerCase();
    for (const customer of warehouseRows().customers) {
      for (const fragment of [
        customer.email,
        customer.email.split('@')[0] ?? '',
        customer.full_name,
        customer.phone,
      ])
        expect(seen, fragment).not.toContain(fragment.toLowerCase());
      expect(seen).not.toContain(customer.card_number.replace(/ /g, ''));
    }
  }, 60_000);
});
