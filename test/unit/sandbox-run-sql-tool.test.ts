import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerSandbox } from '../../src/core/sandbox/answer-sandbox.js';
import { formatRunReport, MAX_REPORT_CHARS } from '../../src/core/sandbox/format-report.js';
import { RUN_SQL, runSqlInput, runSqlTool } from '../../src/core/sandbox/run-sql-tool.js';
import {
  type SandboxSession,
  SandboxUnavailableError,
  type SqlRunReport,
  type SqlSandbox,
} from '../../src/core/sandbox/sandbox.js';

/** A stand-in sandbox for the tool's own logic (the real DuckDB child is tested in test/integration). */
function scriptedSandbox(reports: SqlRunReport[], opened: { count: number; closed: number }): SqlSandbox {
  return {
    async openSession(): Promise<SandboxSession> {
      opened.count += 1;
      return {
        run: async () => reports.shift() ?? { statements: [], notRun: 0, elapsedMs: 0 },
        close: async () => {
          opened.closed += 1;
        },
      };
    },
  };
}

describe('run_sql tool', () => {
  it('has the registry shape and a JSON Schema the API accepts', () => {
    expect(runSqlTool.name).toBe(RUN_SQL);
    expect(runSqlTool.description).toMatch(/synthetic rows/);
    expect(runSqlTool.description).toMatch(/quality checks/);
    const schema = z.toJSONSchema(runSqlTool.input);
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['sql']);
    // The API takes the schema without its $schema key; Ajv's default draft checks the rest.
    const { $schema: _draft, ...body } = schema;
    const validate = new Ajv({ strict: false }).compile(body);
    expect(validate({ sql: 'select 1' })).toBe(true);
    expect(validate({})).toBe(false);
    expect(runSqlInput.safeParse({ sql: '   ' }).success).toBe(false);
    expect(runSqlInput.safeParse({ sql: 'x'.repeat(60_001) }).success).toBe(false);
  });

  it('opens the answer session on first use only, reuses it, and closes it once', async () => {
    const opened = { count: 0, closed: 0 };
    const sandbox = answerSandbox(
      scriptedSandbox(
        [
          {
            statements: [
              { ok: true, line: 1, kind: 'CREATE', rowsChanged: 0, columns: [], rows: [], moreRows: false },
            ],
            notRun: 0,
            elapsedMs: 3,
          },
        ],
        opened,
      ),
    );
    expect(opened.count).toBe(0);
    const first = await runSqlTool.run({ sql: 'create table t (a int)' }, { sandbox });
    await runSqlTool.run({ sql: 'select 1' }, { sandbox });
    expect(first).toEqual({ text: 'Ran 1 statement(s) in 3 ms.\nline 1: CREATE ok', isError: false });
    expect(opened.count).toBe(1);
    await sandbox.close();
    await sandbox.close();
    expect(opened.closed).toBe(1);
  });

  it('tells the model to go on without the sandbox when it is unavailable', async () => {
    const busy: SqlSandbox = {
      openSession: async () => {
        throw new SandboxUnavailableError('the sandbox is busy (4 sessions open)');
      },
    };
    const out = await runSqlTool.run({ sql: 'select 1' }, { sandbox: answerSandbox(busy) });
    expect(out.isError).toBe(true);
    expect(out.text).toMatch(/busy.*Continue without it/s);
  });
});

describe('formatRunReport', () => {
  it('groups quiet statements, shows query rows and the failing line, and says what was not run', () => {
    const { text, isError } = formatRunReport({
      statements: [
        { ok: true, line: 1, kind: 'CREATE', rowsChanged: 0, columns: [], rows: [], moreRows: false },
        { ok: true, line: 2, kind: 'INSERT', rowsChanged: 500, columns: [], rows: [], moreRows: false },
        { ok: true, line: 3, kind: 'INSERT', rowsChanged: 20, columns: [], rows: [], moreRows: false },
        {
          ok: true,
          line: 5,
          kind: 'SELECT',
          rowsChanged: 0,
          columns: ['n', 'x'],
          rows: [['500', null]],
          moreRows: false,
        },
        { ok: false, line: 7, kind: 'SELECT', error: 'Binder Error: column "y" not found', errorLine: 9 },
      ],
      notRun: 2,
      elapsedMs: 12,
    });
    expect(text.split('\n')).toEqual([
      'Ran 5 statement(s) in 12 ms.',
      'lines 1–3: 3 statements (CREATE, INSERT ×2) ok, 520 rows changed',
      'line 5: SELECT, 1 row',
      '  n | x',
      '  500 | NULL',
      'line 7 (error at line 9): SELECT FAILED: Binder Error: column "y" not found',
      '2 later statements were not run. Fix the error and send only the statements from the failed one on: what ran before it is still in the database.',
    ]);
    expect(isError).toBe(true);
  });

  it('never returns more than its cap', () => {
    const row = ['x'.repeat(100)];
    const { text } = formatRunReport({
      statements: Array.from({ length: 200 }, (_, i) => ({
        ok: true as const,
        line: i + 1,
        kind: 'SELECT',
        rowsChanged: 0,
        columns: ['c'],
        rows: [row, row, row],
        moreRows: true,
      })),
      notRun: 0,
      elapsedMs: 1,
    });
    expect(text.length).toBeLessThanOrEqual(MAX_REPORT_CHARS);
    expect(text).toMatch(/output cut/);
  });
});
