import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerSandbox } from '../../src/core/sandbox/answer-sandbox.js';
import { runSqlTool } from '../../src/core/sandbox/run-sql-tool.js';
import type { SqlRunReport } from '../../src/core/sandbox/sandbox.js';
import { ChildProcessSandbox } from '../../src/sandbox/child-sandbox.js';
import { until } from '../support/wait.js';

/**
 * The sandbox against the real DuckDB child process: isolation (every escape refused by DuckDB itself),
 * limits (interrupts, caps, budgets, memory), and the process life cycle (idle end, restart, kill).
 */

// A token in the bot's environment that the child must never get.
process.env.SLACK_BOT_TOKEN ??= 'xoxb-sandbox-test-not-a-real-token';

const REPO = join(import.meta.dirname, '..', '..');

/** Every file under `dir` with its size and SHA-256 (an absent dir is recorded as absent). */
function fingerprint(dir: string): string {
  if (!existsSync(dir)) return 'absent';
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else hash.update(`${path}\0${st.size}\0`).update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

function firstError(report: SqlRunReport): string {
  const failed = report.statements.find((s) => !s.ok);
  return failed && !failed.ok ? failed.error : (report.stopped ?? '');
}

describe('sandbox: isolation', () => {
  const sandbox = new ChildProcessSandbox({ limits: { statementTimeoutMs: 2_000 } });
  let dir: string;
  const watched: string[] = [];
  const before = new Map<string, string>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'deb-sandbox-'));
    writeFileSync(join(dir, 'secret.csv'), 'token\nxoxb-not-for-the-model\n');
    writeFileSync(join(dir, 'existing.db'), 'not a database');
    watched.push(dir, join(REPO, 'data'), join(homedir(), '.duckdb'), join(REPO, 'src'));
    for (const path of watched) before.set(path, fingerprint(path));
  });

  afterAll(async () => {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses every escape attempt through the agent tool, and the session keeps working', async () => {
    const ctx = { sandbox: answerSandbox(sandbox) };
    const attempts: [string, RegExp][] = [
      ["select * from read_csv('/etc/passwd')", /Permission Error.*disabled by configuration/],
      [`select * from read_csv('${dir}/secret.csv')`, /Permission Error/],
      ["select * from read_text('/etc/passwd')", /Permission Error/],
      ["select * from read_blob('/etc/hostname')", /Permission Error/],
      ["select * from glob('/*')", /Permission Error/],
      ["select * from read_csv('https://example.com/x.csv')", /Permission Error|disabled/],
      [`copy (select 42 as x) to '${dir}/out.csv'`, /Permission Error/],
      [`copy (select 42 as x) to '${dir}/secret.csv'`, /Permission Error/],
      [`attach '${dir}/existing.db' as other`, /Permission Error/],
      [`attach '${dir}/new.db' as other`, /Permission Error/],
      ['install httpfs', /Permission Error/],
      ['load sqlite', /Loading external extensions is disabled/],
      ['load httpfs', /Loading external extensions is disabled/],
      ['set enable_external_access=true', /Cannot change configuration option "enable_external_access"/],
      ['set lock_configuration=false', /Cannot change configuration option/],
      ["set memory_limit='64GB'", /Cannot change configuration option "memory_limit"/],
      ['set threads=64', /Cannot change configuration option/],
      ['set autoload_known_extensions=true', /Cannot change configuration option/],
      ["select getenv('HOME')", /getenv does not exist/],
      [`export database '${dir}/dump'`, /Permission Error/],
    ];
    for (const [sql, refusal] of attempts) {
      const out = await runSqlTool.run({ sql }, ctx);
      expect(out.isError, sql).toBe(true);
      expect(out.text, sql).toMatch(refusal);
    }
    const still = await runSqlTool.run({ sql: 'select 41 + 1 as answer' }, ctx);
    expect(still).toEqual({ text: expect.stringContaining('42'), isError: false });
    await ctx.sandbox.close();
    // Logging to a file is a function, not a setting, so the lock does not stop the call; DuckDB still
    // refuses the file, which leaves only that session unusable. Nothing is written.
    const logging = await sandbox.openSession();
    const logged = await logging.run(
      `call enable_logging(storage='file', storage_path='${dir}/logs');\nselect 1`,
    );
    expect(firstError(logged)).toMatch(/Permission Error/);
    await logging.close();
    for (const path of watched) expect(fingerprint(path), path).toBe(before.get(path));
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
    expect(existsSync(join(dir, 'new.db'))).toBe(false);
  });

  it('the child gets no environment but its limits (no tokens)', async () => {
    const session = await sandbox.openSession();
    const pid = sandbox.childPid;
    expect(pid).toBeDefined();
    if (process.platform === 'linux') {
      const names = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => kv.split('=')[0])
        .filter((name) => !name?.startsWith('NODE_CHANNEL_'));
      expect(process.env.SLACK_BOT_TOKEN).toBeDefined();
      expect(names).toEqual(['DEB_SANDBOX_LIMITS']);
    }
    await session.close();
  });

  it('one database per session: state persists across calls, other sessions never see it', async () => {
    const a = await sandbox.openSession();
    const b = await sandbox.openSession();
    await a.run(
      'create table orders (id int, amount decimal(10,2));\ninsert into orders select range, range * 1.5 from range(500)',
    );
    const count = await a.run('select count(*) as n, sum(amount) as total from orders');
    expect(count.statements[0]).toMatchObject({
      ok: true,
      columns: ['n', 'total'],
      rows: [['500', '187125.00']],
    });
    expect(firstError(await b.run('select * from orders'))).toMatch(/Table with name orders does not exist/);
    await a.close();
    await b.close();
    const c = await sandbox.openSession();
    expect(firstError(await c.run('select * from orders'))).toMatch(/does not exist/);
    await c.close();
  });
});

describe('sandbox: limits', () => {
  const sandbox = new ChildProcessSandbox({
    limits: { statementTimeoutMs: 1_500, callTimeoutMs: 5_000, maxRows: 5, maxCellChars: 60 },
  });
  afterAll(() => sandbox.stop());

  it('a 10 GB allocation is refused or interrupted; the bot process is untouched and the sandbox usable', async () => {
    const parentPid = process.pid;
    for (const sql of [
      'select list(i) from range(1250000000) t(i)',
      "create table big as select range as id, repeat('x', 1000) as s from range(10000000)",
      "select string_agg(repeat('y', 1000000), '') from range(10000)",
    ]) {
      const session = await sandbox.openSession();
      const report = await session.run(sql);
      expect(firstError(report), sql).toMatch(/Out of Memory Error|Interrupted|Out of Range Error|restarted/);
      // Refused or interrupted: the session goes on. Past the memory cap: only its own child was ended.
      const after = await session.run('select 1 as ok');
      if (/restarted/.test(firstError(report))) expect(after.stopped).toMatch(/restarted/);
      else expect(after.statements[0]).toMatchObject({ ok: true, rows: [['1']] });
      await session.close();
    }
    expect(process.pid).toBe(parentPid);
    const fresh = await sandbox.openSession();
    expect((await fresh.run('select 1 as ok')).statements[0]).toMatchObject({ ok: true, rows: [['1']] });
    await fresh.close();
  });

  it('a query that never ends is interrupted, the event loop keeps turning, and the session stays usable', async () => {
    const session = await sandbox.openSession();
    await session.run('create table t as select range as id from range(3)');
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 10);
    const report = await session.run(
      'select a.range, b.range from range(1000000) a cross join range(1000000) b order by a.range desc, b.range desc',
    );
    clearInterval(ticker);
    expect(report.statements[0]).toMatchObject({ ok: false });
    expect(firstError(report)).toMatch(/^Interrupted: the statement ran longer than 1\.5 s/);
    // The bot's own event loop ran all along: a blocked loop would count ~0 ticks.
    expect(ticks).toBeGreaterThanOrEqual(20);
    const after = await session.run('select count(*) from t');
    expect(after.statements[0]).toMatchObject({ ok: true, rows: [['3']] });
    await session.close();
  });

  it('multi-statement input reports the failing statement with DuckDB’s first error line and its line', async () => {
    const session = await sandbox.openSession();
    const report = await session.run(
      "create table users (id int primary key, email varchar not null);\ninsert into users values (1, 'a@x');\nselect id,\n  emial\nfrom users;\nselect 1",
    );
    expect(report.statements).toHaveLength(3);
    expect(report.statements[2]).toMatchObject({
      ok: false,
      line: 3,
      errorLine: 4,
      error: expect.stringMatching(/^Binder Error: Referenced column "emial" not found/),
    });
    expect(report.notRun).toBe(1);
    const parse = await session.run('select 1;\n\nselec 2');
    expect(parse.statements[1]).toMatchObject({
      ok: false,
      line: 3,
      errorLine: 3,
      error: expect.stringMatching(/^Parser Error: syntax error at or near "selec"/),
    });
    const constraint = await session.run('insert into users values (2, null)');
    expect(firstError(constraint)).toMatch(/Constraint Error/);
    await session.close();
  });

  it('caps rows and cells and converts BIGINT, DECIMAL, HUGEINT, dates and nested values to text', async () => {
    const session = await sandbox.openSession();
    const many = await session.run('select range as n from range(100000)');
    expect(many.statements[0]).toMatchObject({ ok: true, moreRows: true });
    const first = many.statements[0];
    expect(first?.ok && first.rows).toHaveLength(5);
    const typed = await session.run(
      "select 9223372036854775807::bigint as big, 12.345::decimal(10,3) as dec, 170141183460469231731687303715884105727::hugeint as huge, date '2024-02-29' as d, timestamp '2024-02-29 10:00:00' as ts, interval 3 day as iv, [1, 2] as l, {'k': 1} as s, repeat('z', 100) as long_text, null as nothing",
    );
    const row = typed.statements[0]?.ok ? typed.statements[0].rows[0] : undefined;
    expect(row?.slice(0, 5)).toEqual([
      '9223372036854775807',
      '12.345',
      '170141183460469231731687303715884105727',
      '2024-02-29',
      '2024-02-29 10:00:00',
    ]);
    expect(row?.[5]).toBe('3 days');
    expect(row?.[6]).toBe('[1, 2]');
    expect(row?.[7]).toBe("{'k': 1}");
    expect(row?.[8]).toHaveLength(60);
    expect(row?.[9]).toBeNull();
    const wide = await session.run(
      `select ${Array.from({ length: 100 }, (_, i) => `${i} as c${i}`).join(', ')}`,
    );
    const wideResult = wide.statements[0];
    if (!wideResult?.ok) throw new Error('wide select failed');
    expect(wideResult.columns).toHaveLength(41);
    expect(wideResult.columns[40]).toBe('… 60 more columns');
    expect(wideResult.rows[0]).toHaveLength(41);
    // A few huge values are cut as they are read, not converted whole (that exhausted the child's heap).
    const starts = sandbox.starts;
    const huge = await session.run("select repeat('x', 50000000) as s from range(4)");
    const hugeResult = huge.statements[0];
    expect(hugeResult?.ok && hugeResult.rows.map((r) => r[0]?.length)).toEqual([60, 60, 60, 60]);
    // The row order of the statement is kept, and statements DuckDB expands (PIVOT) still return rows.
    const ordered = await session.run(
      'select range as n from range(1000) order by n desc;\ncreate table p as select range % 3 as k, range as v from range(9);\npivot p on k using sum(v);\ndescribe p',
    );
    const [desc, , pivot, describe] = ordered.statements;
    expect(desc?.ok && desc.rows.map((r) => r[0])).toEqual(['999', '998', '997', '996', '995']);
    expect(pivot).toMatchObject({ ok: true, columns: ['0', '1', '2'], rows: [['9', '12', '15']] });
    expect(describe?.ok && describe.rows.map((r) => r[0])).toEqual(['k', 'v']);
    const longList = await session.run('select list(range) as l from range(5000000)');
    const listResult = longList.statements[0];
    expect(listResult?.ok && listResult.rows[0]?.[0]).toMatch(/^\[0, 1, 2, .*…$/);
    expect(sandbox.starts).toBe(starts);
    // The whole report is plain JSON data (it crosses a process boundary).
    expect(JSON.parse(JSON.stringify(typed))).toEqual(typed);
    await session.close();
  });

  it('cuts huge column, table and type names in the child: run_sql and describeTables replies stay small', async () => {
    const session = await sandbox.openSession();
    // A PIVOT turns data into column names: three names of 2 MB each.
    const pivot = await session.run(
      "pivot (select repeat('x', 2000000) || range::varchar as k, 1 as v from range(3)) on k using sum(v)",
    );
    const pivoted = pivot.statements[0];
    expect(pivoted?.ok).toBe(true);
    if (!pivoted?.ok) throw new Error('pivot failed');
    expect(pivoted.columns).toHaveLength(3);
    for (const name of pivoted.columns) expect(name.length).toBeLessThanOrEqual(120);
    expect(JSON.stringify(pivot).length).toBeLessThan(10_000);
    const created = await session.run(
      `create table ${'t'.repeat(300)} as pivot (select repeat('y', 1000000) || range::varchar as k, 1 as v from range(3)) on k using sum(v)`,
    );
    expect(created.statements[0]?.ok).toBe(true);
    const tables = await session.describeTables?.();
    if (!tables) throw new Error('no describeTables');
    expect(tables.tables).toHaveLength(1);
    expect(tables.tables[0]?.name.length).toBeLessThanOrEqual(128);
    expect(tables.tables[0]?.columns).toHaveLength(3);
    for (const column of tables.tables[0]?.columns ?? []) expect(column.name.length).toBeLessThanOrEqual(128);
    expect(JSON.stringify(tables).length).toBeLessThan(10_000);
    await session.close();
  });

  it('describeTables counts against the session time budget', async () => {
    const small = new ChildProcessSandbox({ limits: { statementTimeoutMs: 600, sessionBudgetMs: 1_000 } });
    try {
      const session = await small.openSession();
      await session.run('create table t as select 1 as a');
      const runaway = 'select a.range from range(1000000) a cross join range(1000000) b order by 1 desc';
      await session.run(runaway);
      await session.run(runaway);
      await expect(session.describeTables?.()).rejects.toThrow(/used its sandbox time/);
    } finally {
      await small.stop();
    }
  });

  it('caps calls per session, statements per call and input size', async () => {
    const small = new ChildProcessSandbox({
      limits: { maxCallsPerSession: 2, maxStatementsPerCall: 3, maxSqlChars: 100 },
    });
    try {
      const session = await small.openSession();
      expect((await session.run('select 1; select 2; select 3; select 4')).stopped).toMatch(
        /Too many statements/,
      );
      expect((await session.run(`select '${'x'.repeat(200)}'`)).stopped).toMatch(/Input too long/);
      expect((await session.run('select 1')).stopped).toBeUndefined();
      expect((await session.run('select 2')).stopped).toBeUndefined();
      expect((await session.run('select 3')).stopped).toMatch(/used all its 2 sandbox calls/);
    } finally {
      await small.stop();
    }
  });

  it('caps the total time of a session', async () => {
    const small = new ChildProcessSandbox({ limits: { statementTimeoutMs: 600, sessionBudgetMs: 1_000 } });
    try {
      const session = await small.openSession();
      const runaway = 'select a.range from range(1000000) a cross join range(1000000) b order by 1 desc';
      await session.run(runaway);
      await session.run(runaway);
      expect((await session.run('select 1')).stopped).toMatch(/used its sandbox time/);
    } finally {
      await small.stop();
    }
  });

  it('refuses more open sessions than the cap, as busy', async () => {
    const small = new ChildProcessSandbox({ limits: { maxOpenSessions: 2 } });
    try {
      const a = await small.openSession();
      await small.openSession();
      await expect(small.openSession()).rejects.toThrow(/busy/);
      await a.close();
      const c = await small.openSession();
      expect((await c.run('select 1')).statements[0]?.ok).toBe(true);
    } finally {
      await small.stop();
    }
  });
});

describe('sandbox: process life cycle', () => {
  it('starts on first use, ends after the idle timeout, and starts again on next use', async () => {
    const events: string[] = [];
    const sandbox = new ChildProcessSandbox({
      limits: { idleMs: 300 },
      onLifecycle: (e) => events.push(`${e.type}${e.reason ? `: ${e.reason}` : ''}`),
    });
    try {
      expect(sandbox.childPid).toBeUndefined();
      const session = await sandbox.openSession();
      const firstPid = sandbox.childPid;
      await session.run('create table t (a int)');
      await session.close();
      await until(() => events.length === 2, 10_000);
      expect(sandbox.childPid).toBeUndefined();
      expect(events).toEqual(['start', 'exit: idle']);
      const again = await sandbox.openSession();
      expect(sandbox.childPid).not.toBe(firstPid);
      expect(sandbox.starts).toBe(2);
      // A fresh database: nothing survives the restart.
      expect(firstError(await again.run('select * from t'))).toMatch(/does not exist/);
      await again.close();
    } finally {
      await sandbox.stop();
    }
  });

  it('an open session keeps the child alive past the idle timeout; an abandoned one does not', async () => {
    const sandbox = new ChildProcessSandbox({ limits: { idleMs: 200, sessionIdleMs: 1_500 } });
    try {
      const session = await sandbox.openSession();
      await session.run('create table t as select 1 as a');
      await new Promise((r) => setTimeout(r, 600));
      expect(sandbox.childPid).toBeDefined();
      expect((await session.run('select a from t')).statements[0]).toMatchObject({ ok: true, rows: [['1']] });
      await until(() => sandbox.childPid === undefined, 10_000);
      expect((await session.run('select a from t')).stopped).toMatch(/restarted/);
    } finally {
      await sandbox.stop();
    }
  });

  it('a child that stops answering is killed; its sessions fail cleanly and the next one gets a new child', async () => {
    const sandbox = new ChildProcessSandbox({ limits: { callTimeoutMs: 800, killGraceMs: 400 } });
    try {
      const session = await sandbox.openSession();
      const pid = sandbox.childPid;
      if (!pid) throw new Error('no child');
      process.kill(pid, 'SIGSTOP');
      const report = await session.run('select 1');
      expect(report.stopped).toMatch(/restarted.*no reply within 1 s; the sandbox process was killed/);
      expect(sandbox.childPid).toBeUndefined();
      const next = await sandbox.openSession();
      expect(sandbox.childPid).not.toBe(pid);
      expect((await next.run('select 2 as two')).statements[0]).toMatchObject({ ok: true, rows: [['2']] });
    } finally {
      await sandbox.stop();
    }
  });

  it('a runaway allocation past the child memory cap ends the child, not the bot', async () => {
    const sandbox = new ChildProcessSandbox({
      limits: { memoryLimit: '2GB', maxChildRssMb: 400, statementTimeoutMs: 10_000 },
    });
    try {
      const session = await sandbox.openSession();
      const report = await session.run(
        "create table big as select range as id, repeat('x', 200) as s from range(20000000)",
      );
      expect(report.stopped).toMatch(/restarted.*the sandbox used \d+ MB \(cap 400 MB\)/);
      const next = await sandbox.openSession();
      expect((await next.run('select 1')).statements[0]?.ok).toBe(true);
    } finally {
      await sandbox.stop();
    }
  });

  it("one session's runaway allocation ends only its own child: another session keeps its tables", async () => {
    const sandbox = new ChildProcessSandbox({
      // A memory_limit above the cap, so the child's RSS watchdog (not DuckDB) is what stops the statement;
      // the same kill as for an allocation outside memory_limit (`repeat('x', 3000000000)`, slower to reach).
      limits: { memoryLimit: '2GB', maxChildRssMb: 400, statementTimeoutMs: 10_000 },
    });
    try {
      const victim = await sandbox.openSession();
      await victim.run('create table kept as select range as id from range(10)');
      const hostile = await sandbox.openSession();
      const report = await hostile.run(
        "create table big as select range as id, repeat('x', 200) as s from range(20000000)",
      );
      expect(report.stopped).toMatch(/restarted.*\(cap 400 MB\)/);
      const after = await victim.run('select count(*) from kept');
      expect(after.stopped).toBeUndefined();
      expect(after.statements[0]).toMatchObject({ ok: true, rows: [['10']] });
      expect((await victim.run('select 1 as one')).statements[0]).toMatchObject({ ok: true, rows: [['1']] });
      await victim.close();
      await hostile.close();
    } finally {
      await sandbox.stop();
    }
  });

  /** Runs the stand-in bot to its end; returns the pid of the sandbox child it had started. */
  async function runStandInBot(mode: 'kill' | 'quiet'): Promise<number> {
    const script = join(REPO, 'test', 'integration', 'fixtures', 'open-and-exit.ts');
    let hung = false;
    const out = await new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', script, mode], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      // A stand-in still running after this is held open by something: end it and fail.
      const guard = setTimeout(() => {
        hung = true;
        proc.kill('SIGKILL');
      }, 15_000);
      let text = '';
      proc.stdout.on('data', (chunk) => {
        text += String(chunk);
      });
      proc.on('error', reject);
      proc.on('exit', () => {
        clearTimeout(guard);
        resolve(text);
      });
    });
    expect(hung, 'the stand-in bot did not exit by itself').toBe(false);
    const pid = Number(/child (\d+)/.exec(out)?.[1]);
    expect(pid).toBeGreaterThan(0);
    return pid;
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  it('the child never outlives the bot, even one killed without clean-up', async () => {
    const pid = await runStandInBot('kill');
    await until(() => !alive(pid), 10_000);
  });

  it('the sandbox never keeps the bot running: with nothing in flight it exits despite a long idle timeout', async () => {
    // The stand-in's idle timeout is 10 minutes: runStandInBot returns only because nothing held it.
    const pid = await runStandInBot('quiet');
    await until(() => !alive(pid), 10_000);
  });
});
