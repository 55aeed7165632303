import { afterAll, describe, expect, it } from 'vitest';
import { type BlockCheck, checkAnswerBlocks } from '../../src/core/checks/check-blocks.js';
import { correctedBlocks, repairRequest, withCorrections } from '../../src/core/checks/repair.js';
import { renderCheckMessage } from '../../src/render/check-messages.js';
import { ChildProcessSandbox } from '../../src/sandbox/child-sandbox.js';
import { localParsers } from '../../src/sandbox/parsers.js';

/**
 * The block checker with real parts: the DuckDB child runs the SQL and hosts the parsers (libpg-query,
 * node-sql-parser, yaml), exactly as the bot will use it. One test uses the parsers in-process too, to
 * show both adapters agree.
 */

const sandbox = new ChildProcessSandbox({ limits: { statementTimeoutMs: 2_000 } });
const deps = { sandbox, parsers: sandbox };
afterAll(() => sandbox.stop());

function summary(checks: BlockCheck[]) {
  return checks.map((c) => ({
    index: c.index,
    status: c.status,
    ...(c.errorLine === undefined ? {} : { errorLine: c.errorLine }),
  }));
}

const fence = (info: string, body: string) => `\`\`\`${info}\n${body}\n\`\`\``;

describe('checkAnswerBlocks', () => {
  it('runs all SQL blocks of an answer in order in one session: later blocks use earlier tables', async () => {
    const answer = [
      '## Data Engineering Solution',
      fence('sql', 'create table events (id bigint, user_id int, ts timestamp, amount decimal(12,2));'),
      'Then load and check:',
      fence(
        'sql',
        "insert into events select range, range % 50, timestamp '2024-01-01' + to_minutes(range), range * 0.1 from range(500);\n-- null-rate check\nselect count(*) filter (where user_id is null) as failing from events;",
      ),
      fence('sql duckdb', 'select user_id, sum(amount) from events group by all order by 1 limit 3;'),
    ].join('\n');
    const checks = await checkAnswerBlocks(answer, deps);
    expect(checks.map((c) => [c.status, c.method])).toEqual([
      ['passed', 'ran in DuckDB'],
      ['passed', 'ran in DuckDB'],
      ['passed', 'ran in DuckDB'],
    ]);
    expect(checks.map((c) => c.line)).toEqual([2, 6, 11]);
    expect(sandbox.openSessions).toBe(0);
  });

  it('a broken SQL block and a broken YAML block each get ✗ with the right line', async () => {
    const answer = [
      'Dialect: PostgreSQL',
      fence('sql', 'create table orders (\n  id bigint primary key,\n  total numeric(12,2)\n);'),
      fence('sql', 'select id,\n       total\nfrom orders\nwher total > 0;'),
      fence('yaml', 'dag:\n  id: orders_daily\n  tasks:\n    - load\n   - check\n'),
      fence('sql duckdb', 'select 1,\n  2,\n  nope_column\nfrom orders;'),
    ].join('\n');
    const checks = await checkAnswerBlocks(answer, deps);
    expect(summary(checks)).toEqual([
      { index: 1, status: 'passed' },
      { index: 2, status: 'failed', errorLine: 4 },
      { index: 3, status: 'failed', errorLine: 5 },
      { index: 4, status: 'failed', errorLine: 3 },
    ]);
    expect(checks[1]).toMatchObject({
      method: "PostgreSQL's parser",
      error: 'syntax error at or near "total"',
    });
    expect(checks[2]?.method).toBe('YAML parser');
    expect(checks[3]).toMatchObject({
      method: 'ran in DuckDB',
      error: expect.stringMatching(/^Binder Error: Referenced column "nope_column" not found/),
    });
    const message = renderCheckMessage(checks) ?? '';
    expect(message).toContain('✗ Block 2 (SQL, PostgreSQL): line 4 of the block');
    expect(message).toContain('✗ Block 3 (YAML): line 5 of the block');
  });

  it('Snowflake CLUSTER BY DDL is "not checked", never ✗, whether declared on the fence or in prose', async () => {
    const ddl = 'CREATE OR REPLACE TABLE analytics.events (id NUMBER, ts TIMESTAMP_NTZ) CLUSTER BY (ts);';
    for (const answer of [
      fence('sql snowflake', ddl),
      `SQL dialect: Snowflake\n${fence('sql', ddl)}`,
      fence('snowflake', ddl),
    ]) {
      const [check] = await checkAnswerBlocks(answer, deps);
      expect(check).toMatchObject({ status: 'not_checked', dialect: 'snowflake' });
    }
    // A Snowflake block the multi-dialect parser does cover gets a parse-only ✓.
    const [covered] = await checkAnswerBlocks(
      fence('sql snowflake', 'select id, ts from analytics.events where id > 1'),
      deps,
    );
    expect(covered).toMatchObject({ status: 'passed', method: 'the snowflake parser (node-sql-parser)' });
  });

  it('PostgreSQL-only syntax is checked with PostgreSQL’s own parser', async () => {
    const good = [
      "create table accounts (id bigint generated always as identity primary key, tags text[] not null default '{}');",
      'alter table accounts enable row level security;',
      "create policy tenant_isolation on accounts using (tenant_id = current_setting('app.tenant')::bigint);",
      'create index concurrently accounts_tags on accounts using gin (tags);',
    ].join('\n');
    const [passed] = await checkAnswerBlocks(fence('postgresql', good), deps);
    expect(passed).toMatchObject({ status: 'passed', method: "PostgreSQL's parser", dialect: 'postgres' });
    expect(passed?.note).toMatch(/not run in DuckDB/);
    const duckdbOnly = await checkAnswerBlocks(
      `Dialect: PostgreSQL\n${fence('sql', 'select * exclude (b) from (select 1 as a, 2 as b) as t;')}\n${fence('sql', 'select 1 as a;')}`,
      deps,
    );
    // DuckDB runs it, but it is not PostgreSQL: PostgreSQL's own parser decides.
    expect(duckdbOnly[0]).toMatchObject({ status: 'failed', method: "PostgreSQL's parser", errorLine: 1 });
    expect(duckdbOnly[1]).toMatchObject({
      status: 'passed',
      method: "ran in DuckDB, parsed by PostgreSQL's parser",
    });
    const [meta] = await checkAnswerBlocks(
      fence('sql postgres', "\\copy t from 'x.csv' csv\nselect 1;"),
      deps,
    );
    expect(meta).toMatchObject({ status: 'not_checked', note: 'psql meta-commands' });
    const bad =
      'create table accounts (\n  id bigint generated always as identity,\n  tags text[] not null,\n);';
    const [failed] = await checkAnswerBlocks(fence('sql postgres', bad), deps);
    expect(failed).toMatchObject({ status: 'failed', method: "PostgreSQL's parser", errorLine: 4 });
    expect(failed?.error).toBe('syntax error at or near ")"');
  });

  it('never gives ✗ without evidence: undeclared SQL DuckDB cannot run, templated SQL, missing tables', async () => {
    const answer = [
      fence(
        'sql',
        'select dateadd(day, 1, ts) from warehouse.events qualify row_number() over (partition by id order by ts) = 1 top 5;',
      ),
      fence('sql', "select * from {{ ref('stg_events') }}"),
      fence('sql duckdb', 'select * from warehouse.events where ts > now() - interval 1 day;'),
      fence('sql duckdb', "select * from read_parquet('s3://bucket/events/*.parquet');"),
    ].join('\n');
    const checks = await checkAnswerBlocks(answer, deps);
    expect(checks.map((c) => c.status)).toEqual(['not_checked', 'not_checked', 'passed', 'passed']);
    expect(checks[0]?.note).toMatch(/no dialect declared.*DuckDB: Parser Error/);
    expect(checks[1]?.note).toMatch(/templated/);
    expect(checks[2]).toMatchObject({
      method: "DuckDB's parser",
      note: expect.stringMatching(/does not exist/),
    });
    expect(checks[3]).toMatchObject({
      method: "DuckDB's parser",
      note: expect.stringMatching(/Permission Error/),
    });
  });

  it('JSON with the line of the error, JSON Lines, other languages not checked', async () => {
    const answer = [
      fence('json', '{\n  "name": "orders",\n  "retries": 3,\n}'),
      fence('json', '{"ok": true}'),
      fence('jsonl', '{"a": 1}\n{"a": 2\n'),
      fence('python', 'def f(:\n  pass'),
      fence('', 'plain text'),
      fence('yml', '---\na: 1\n---\nb: [1, 2\n'),
    ].join('\n');
    const checks = await checkAnswerBlocks(answer, deps);
    expect(summary(checks)).toEqual([
      { index: 1, status: 'failed', errorLine: 4 },
      { index: 2, status: 'passed' },
      { index: 3, status: 'failed', errorLine: 2 },
      { index: 4, status: 'not_checked' },
      { index: 5, status: 'not_checked' },
      { index: 6, status: 'failed', errorLine: 5 },
    ]);
    expect(checks[0]?.error).toBe('Expected double-quoted property name');
  });

  it('in-process parsers give the same verdicts as the child’s', async () => {
    const answer = [
      fence('sql postgres', 'select 1;\nselec 2;'),
      fence('yaml', 'a: [1, 2\n'),
      fence('sql bigquery', 'SELECT * FROM `p.d.t` WHERE _PARTITIONDATE > "2024-01-01"'),
    ].join('\n');
    const viaChild = await checkAnswerBlocks(answer, deps);
    const inProcess = await checkAnswerBlocks(answer, { sandbox, parsers: localParsers });
    expect(inProcess).toEqual(viaChild);
    expect(summary(viaChild)).toEqual([
      { index: 1, status: 'failed', errorLine: 2 },
      { index: 2, status: 'failed', errorLine: 2 },
      { index: 3, status: 'passed' },
    ]);
  });

  it('without a sandbox, SQL falls back to the parsers, and undeclared SQL is not checked', async () => {
    const down = {
      openSession: async () => {
        throw new Error('cannot start');
      },
    };
    const checks = await checkAnswerBlocks(
      [fence('sql postgres', 'select 1'), fence('sql', 'select 1'), fence('sql postgres', 'selec 1')].join(
        '\n',
      ),
      { sandbox: down, parsers: sandbox },
    );
    expect(summary(checks)).toEqual([
      { index: 1, status: 'passed' },
      { index: 2, status: 'not_checked' },
      { index: 3, status: 'failed', errorLine: 1 },
    ]);
    expect(checks[1]?.note).toMatch(/sandbox is not available: cannot start/);
  });

  it('one repair round: the failures go back once, the corrected blocks are checked in the whole answer', async () => {
    const answer = [
      'Dialect: PostgreSQL',
      fence('sql', 'create table orders (id bigint primary key, total numeric(12,2));'),
      fence('sql', 'insert into orders values (1, 10.5);\nselect count(*) from orders\nwher total > 0;'),
      fence('yaml', 'tasks:\n  - load\n - check'),
    ].join('\n');
    const checks = await checkAnswerBlocks(answer, deps);
    expect(checks.map((c) => c.status)).toEqual(['passed', 'failed', 'failed']);
    const request = repairRequest(checks) ?? '';
    expect(request).toMatch(/Block 2 .* at line 3 of the block/);
    // The model's scripted reply: block 2 fixed; block 3 fixed too.
    const reply = `Block 2\n${fence('sql', 'insert into orders values (1, 10.5);\nselect count(*) from orders\nwhere total > 0;')}\nBlock 3\n${fence('yaml', 'tasks:\n  - load\n  - check')}`;
    const corrections = correctedBlocks(reply, [2, 3]);
    const rechecked = await checkAnswerBlocks(withCorrections(answer, corrections), deps);
    // Block 2 only runs because block 1 created the table in the same session.
    expect(
      rechecked.filter((c) => corrections.has(c.index)).map((c) => [c.index, c.status, c.method]),
    ).toEqual([
      [2, 'passed', "ran in DuckDB, parsed by PostgreSQL's parser"],
      [3, 'passed', 'YAML parser'],
    ]);
  });

  it('bounds the work: blocks past the cap are not checked', async () => {
    const answer = Array.from({ length: 5 }, (_, i) => fence('sql', `select ${i}`)).join('\n');
    const checks = await checkAnswerBlocks(answer, deps, { maxBlocks: 3, maxBlockChars: 1_000 });
    expect(checks.map((c) => c.status)).toEqual(['passed', 'passed', 'passed', 'not_checked', 'not_checked']);
  });
});
