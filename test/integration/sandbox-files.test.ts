import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { FileLoadOutcome, FileToLoad } from '../../src/core/files/loaded-file.js';
import type { SandboxSession, SqlRunReport } from '../../src/core/sandbox/sandbox.js';
import { ChildProcessSandbox } from '../../src/sandbox/child-sandbox.js';
import { createStagingDir, removeStaleStagingDirs } from '../../src/sandbox/file-staging.js';
import { until } from '../support/wait.js';

/**
 * Shared files loaded into a sandbox session through the real DuckDB child: the content decides the type,
 * the staged bytes are capped, the session's database still has no file access at all (reading another
 * path, writing with COPY … TO, `../` paths), and the private staging directory is gone afterwards.
 */

function file(name: string, bytes: Uint8Array | string, extra: Partial<FileToLoad> = {}): FileToLoad {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
  return {
    name,
    table: name.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
    claimed: (/\.(csv|tsv|json|parquet|sql)$/.exec(name)?.[1] as FileToLoad['claimed']) ?? undefined,
    maxBytes: 1_000_000,
    overLimitReason: 'larger than the limit',
    open: async () =>
      (async function* () {
        // Several chunks, as a download arrives.
        for (let i = 0; i < data.length; i += 1000) yield data.subarray(i, i + 1000);
      })(),
    ...extra,
  };
}

function firstError(report: SqlRunReport): string {
  const failed = report.statements.find((s) => !s.ok);
  return failed && !failed.ok ? failed.error : (report.stopped ?? '');
}

const stagingDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`deb-files-${process.pid}-`));

async function parquetBytes(): Promise<Buffer> {
  const dir = join(tmpdir(), `deb-parquet-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'events.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  await connection.run(
    `COPY (SELECT i AS event_id, 'e' || (i % 7) AS kind, DATE '2026-01-01' + (i % 30)::INTEGER AS day FROM range(1, 301) t(i)) TO '${path}' (FORMAT parquet)`,
  );
  connection.closeSync();
  db.closeSync();
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(path);
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

describe('sandbox: shared files', () => {
  const sandbox = new ChildProcessSandbox();
  afterAll(async () => {
    await sandbox.stop();
  });

  async function load(
    ...files: FileToLoad[]
  ): Promise<{ session: SandboxSession; outcomes: FileLoadOutcome[] }> {
    const session = await sandbox.openSession();
    const outcomes = (await session.loadFiles?.(files)) ?? [];
    return { session, outcomes };
  }

  it('loads CSV, TSV, JSON, NDJSON and Parquet as tables with a profile; .sql comes back as text', async () => {
    const { session, outcomes } = await load(
      file('orders.csv', 'order_id,amount,note\n1,10.5,a\n2,,b\n3,7.25,\n'),
      file('people.tsv', 'id\tname\n1\tAna\n2\tBen\n'),
      file('items.json', '[{"sku":"a","qty":1},{"sku":"b","qty":null}]'),
      file('lines.json', '{"k":1}\n{"k":2}\n{"k":3}\n'),
      file('events.parquet', await parquetBytes()),
      file('model.sql', 'select 1 as one;\n'),
    );
    expect(outcomes.map((o) => (o.ok ? o.format : o.reason))).toEqual([
      'csv',
      'tsv',
      'json',
      'json',
      'parquet',
      'sql',
    ]);
    const orders = outcomes[0];
    expect(orders).toMatchObject({ ok: true, table: 'orders_csv', rows: 3 });
    if (orders?.ok && orders.format !== 'sql') {
      const amount = orders.columns.find((c) => c.name === 'amount');
      expect(amount).toMatchObject({ type: 'DOUBLE', min: '7.25', max: '10.5' });
      expect(amount?.nullShare).toBeCloseTo(1 / 3, 2);
      // A text column's min/max is a value someone wrote: not reported.
      expect(orders.columns.find((c) => c.name === 'note')?.min).toBeUndefined();
    }
    expect(outcomes[4]).toMatchObject({ ok: true, rows: 300 });
    expect(outcomes[5]).toMatchObject({
      ok: true,
      format: 'sql',
      text: 'select 1 as one;\n',
      check: "DuckDB's parser accepts it; PostgreSQL's parser accepts it",
    });
    const report = await session.run('select count(*) from events_parquet; select sum(k) from lines_json');
    expect(report.statements.map((s) => (s.ok ? s.rows : s.error))).toEqual([[['300']], [['6']]]);
    await session.close();
    expect(stagingDirs()).toEqual([]);
  });

  it('refuses by content, not name: a PNG named .csv, text named .parquet, a ragged CSV, a JSON that is not', async () => {
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82,
    ]);
    const { session, outcomes } = await load(
      file('orders.csv', png),
      file('events.parquet', 'id,kind\n1,a\n'),
      file('ragged.csv', 'a,b,c\n1,2\n3\n'),
      file('data.json', 'id,kind\n1,a\n'),
      file('archive.csv', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4])),
      file('latin1.csv', Uint8Array.from([0x61, 0x2c, 0x62, 0x0a, 0xe9, 0x2c, 0x31, 0x0a])),
    );
    expect(outcomes.map((o) => (o.ok ? o.format : o.reason))).toEqual([
      'not CSV: it looks like a PNG image',
      'not Parquet: it looks like text separated by ","',
      'not CSV: it looks like text without a consistent delimiter',
      'not JSON: it looks like text separated by ","',
      'not CSV: it looks like a ZIP archive (an Excel or other Office file is one)',
      'not CSV: it looks like binary data, not UTF-8 text',
    ]);
    const tables = await session.run('select count(*) from duckdb_tables()');
    expect(tables.statements[0]).toMatchObject({ ok: true, rows: [['0']] });
    await session.close();
  });

  it('a value that breaks its column type is refused in our words: no file content (mention, link, card) in the reason', async () => {
    const filler = '{"a":1}\n'.repeat(20_480);
    const { session, outcomes } = await load(
      file('inject.json', `${filler}{"a":"<!channel> Your Slack session expired: <https://e.x|Sign in>"}\n`),
      file('cards.json', `${filler}{"a":"card 4111 1111 1111 1111"}\n`),
      file('cards.csv', `a,b\n${'1,2\n'.repeat(30_000)}4111111111111111,x\n`),
    );
    expect(outcomes).toEqual([
      { ok: false, reason: "not valid JSON: a value in line 20,481 does not match its column's type" },
      { ok: false, reason: "not valid JSON: a value in line 20,481 does not match its column's type" },
      { ok: false, reason: "not valid CSV: a value in line 30,002 does not match its column's type" },
    ]);
    for (const outcome of outcomes) {
      const reason = outcome.ok ? '' : outcome.reason;
      expect(reason).not.toContain('<');
      expect(reason).not.toMatch(/4111/);
    }
    await session.close();
  });

  it('personal data gets no min/max in the profile (by name, or card/phone-like integers), and query results are masked', async () => {
    const { session, outcomes } = await load(
      file(
        'customers.csv',
        'card,phone,dob,born_on,ref,tel2,amount,email\n4111111111111111,14155550123,1980-01-02,1981-03-04,5555555555554444,4155550123,12.5,ana@example.com\n4012888888881881,14155550199,1990-05-06,1991-07-08,4012888888881881,4155550199,3.5,ben@example.com\n',
      ),
    );
    const customers = outcomes[0];
    expect(customers).toMatchObject({ ok: true, rows: 2 });
    if (!customers?.ok || customers.format === 'sql') throw new Error('not loaded');
    const ranged = customers.columns.filter((c) => c.min !== undefined).map((c) => c.name);
    // Only the plain number keeps its range.
    expect(ranged).toEqual(['amount']);
    const profileText = JSON.stringify(customers.columns);
    for (const value of [
      '4111111111111111',
      '14155550123',
      '1980-01-02',
      '1981-03-04',
      '5555555555554444',
      '4155550123',
    ])
      expect(profileText).not.toContain(value);
    const report = await session.run(
      'select * from customers_csv; create table copied as select * from customers_csv; select ref, email from copied',
    );
    const text = JSON.stringify(report.statements);
    for (const value of ['4111111111111111', '14155550123', 'ana@example.com', '5555555555554444'])
      expect(text).not.toContain(value);
    expect(text).toContain('<card ****1111>');
    expect(text).toContain('<email>');
    expect(text).toContain('<card ****4444>');
    await session.close();
  });

  it('JSON nested 100,000 deep is refused before DuckDB reads it; the other files load in the same child', async () => {
    const own = new ChildProcessSandbox();
    try {
      const session = await own.openSession();
      const evil = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
      const outcomes =
        (await session.loadFiles?.([
          file('evil.json', evil),
          file('good.csv', 'id,kind\n1,a\n2,b\n'),
          file('strings.json', `[{"a":"${'['.repeat(500)}"}]`),
        ])) ?? [];
      expect(outcomes.map((o) => (o.ok ? o.format : o.reason))).toEqual([
        'not valid JSON: nested too deeply (more than 64 levels)',
        'csv',
        // Brackets inside strings are text, not nesting.
        'json',
      ]);
      const report = await session.run('select count(*) from good_csv');
      expect(report.statements[0]).toMatchObject({ ok: true, rows: [['2']] });
      expect(own.starts).toBe(1);
      await session.close();
    } finally {
      await own.stop();
    }
  });

  it('when the child stops while a file loads, that file is refused and the files after it are only postponed', async () => {
    const own = new ChildProcessSandbox();
    try {
      const session = await own.openSession();
      const pid = own.childPid;
      const killer = file('killer.csv', 'id\n1\n');
      const outcomes =
        (await session.loadFiles?.([
          file('good.csv', 'id\n1\n'),
          {
            ...killer,
            // The child dies between this file's download and its load.
            open: async () => {
              if (pid) process.kill(pid, 'SIGKILL');
              await until(() => own.childPid !== pid);
              return killer.open();
            },
          },
          file('later.csv', 'id\n1\n'),
        ])) ?? [];
      expect(outcomes[0]).toMatchObject({ ok: true });
      expect(outcomes[1]).toMatchObject({
        ok: false,
        reason: expect.stringContaining('stopped while loading it'),
      });
      expect(outcomes[1]).not.toHaveProperty('transient');
      expect(outcomes[2]).toMatchObject({ ok: false, transient: true });
      await session.close();
    } finally {
      await own.stop();
    }
  });

  it('a tiny Parquet file that declares more than 10,000,000 rows is refused from its metadata, before a row is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deb-bomb-'));
    const path = join(dir, 'bomb.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    await connection.run(`COPY (SELECT 1 AS a FROM range(12000000)) TO '${path}' (FORMAT parquet)`);
    connection.closeSync();
    db.closeSync();
    const bytes = readFileSync(path);
    rmSync(dir, { recursive: true, force: true });
    expect(bytes.length).toBeLessThan(200_000);
    const { session, outcomes } = await load(file('bomb.parquet', bytes), file('ok.csv', 'id\n1\n'));
    expect(outcomes[0]).toEqual({ ok: false, reason: 'too long (more than 10,000,000 rows)' });
    expect(outcomes[1]).toMatchObject({ ok: true });
    const tables = await session.run(
      "select count(*) from duckdb_tables() where table_name = 'bomb_parquet'",
    );
    expect(tables.statements[0]).toMatchObject({ ok: true, rows: [['0']] });
    await session.close();
  });

  it('a download that times out or gets a 5xx decides nothing about the file (transient); a 404 does', async () => {
    const failing = (error: Error) =>
      file('slow.csv', '', {
        open: async () => {
          throw error;
        },
      });
    const { session, outcomes } = await load(
      failing(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      failing(new Error('HTTP 503')),
      failing(new Error('HTTP 404')),
    );
    expect(outcomes.map((o) => !o.ok && o.transient === true)).toEqual([true, true, false]);
    await session.close();
  });

  it('a stream longer than its cap is refused without keeping the bytes', async () => {
    const big = 'id\n'.concat('1\n'.repeat(5_000));
    const { session, outcomes } = await load(
      file('big.csv', big, {
        maxBytes: 1_000,
        overLimitReason: 'larger than Slack said it was (1,000 bytes)',
      }),
    );
    expect(outcomes).toEqual([{ ok: false, reason: 'larger than Slack said it was (1,000 bytes)' }]);
    await session.close();
    expect(stagingDirs()).toEqual([]);
  });

  it('with files loaded the session database still has no file access: other paths, COPY TO, ../ all fail', async () => {
    const dir = join(tmpdir(), `deb-files-escape-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'secret.csv'), 'token\nxoxb-not-for-the-model\n');
    const { session, outcomes } = await load(file('orders.csv', 'id\n1\n2\n'));
    expect(outcomes[0]).toMatchObject({ ok: true });
    // The staging directory is removed once loaded; its name is derivable, so try it and its parent.
    const attempts = [
      `select * from read_csv('${join(dir, 'secret.csv')}')`,
      `select * from read_csv('${tmpdir()}/deb-files-${process.pid}-x/f1.bin')`,
      `select * from read_csv('${tmpdir()}/deb-files-${process.pid}-x/../${dir.split('/').at(-1)}/secret.csv')`,
      `copy orders_csv to '${tmpdir()}/deb-files-${process.pid}-x/out.csv'`,
      `copy orders_csv to '${join(dir, 'out.csv')}'`,
      `select * from glob('${tmpdir()}/*')`,
    ];
    for (const sql of attempts) {
      const report = await session.run(sql);
      expect(firstError(report), sql).toMatch(/Permission Error|disabled by configuration/);
    }
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the loader reads only its own staged path (allowed_paths), never a ../ path or another file', async () => {
    // The same settings file-loader.ts gives its loader database, tried directly.
    const dir = join(tmpdir(), `deb-files-loader-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'f1.bin'), 'a\n1\n');
    writeFileSync(join(tmpdir(), `deb-other-${process.pid}.csv`), 'b\n2\n');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`SET allowed_paths = ['${join(dir, 'f1.bin')}']`);
    await c.run('SET enable_external_access = false');
    await c.run('SET lock_configuration = true');
    expect((await c.runAndReadAll(`select * from read_csv('${join(dir, 'f1.bin')}')`)).getRows()).toEqual([
      [1n],
    ]);
    for (const sql of [
      `select * from read_csv('${tmpdir()}/deb-other-${process.pid}.csv')`,
      `select * from read_csv('${dir}/../deb-other-${process.pid}.csv')`,
      `copy (select 1) to '${dir}/x.csv'`,
      `copy (select 1) to '${join(dir, 'f1.bin')}'`,
      'SET allowed_paths = []',
    ]) {
      await expect(c.run(sql), sql).rejects.toThrow(/Permission Error|locked/);
    }
    c.closeSync();
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), `deb-other-${process.pid}.csv`), { force: true });
  });

  it('a staging directory left by a dead bot process is removed at the next start', async () => {
    const stale = join(tmpdir(), 'deb-files-999999999-abcdef');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'f1.bin'), 'left behind');
    // Another live bot's directory (its pid runs: our parent) is left alone.
    const other = join(tmpdir(), `deb-files-${process.ppid}-0123456789ab-live`);
    mkdirSync(other, { recursive: true });
    const mine = await createStagingDir();
    expect(await removeStaleStagingDirs()).toBeGreaterThanOrEqual(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(other)).toBe(true);
    expect(existsSync(mine)).toBe(true);
    rmSync(other, { recursive: true, force: true });
    rmSync(mine, { recursive: true, force: true });
  });

  it('a directory with this process’s pid but not made by it (a restarted container reuses pid 1) is removed; so is any older than a day', async () => {
    const reused = join(tmpdir(), `deb-files-${process.pid}-ffffffffffff-abcdef`);
    const legacy = join(tmpdir(), `deb-files-${process.pid}-abcdef`);
    const old = join(tmpdir(), `deb-files-${process.ppid}-0123456789ab-old`);
    for (const dir of [reused, legacy, old]) mkdirSync(dir, { recursive: true });
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    const mine = await createStagingDir();
    await removeStaleStagingDirs();
    expect([reused, legacy, old].filter((dir) => existsSync(dir))).toEqual([]);
    expect(existsSync(mine)).toBe(true);
    rmSync(mine, { recursive: true, force: true });
  });
});
