import { describe, expect, it } from 'vitest';
import { AnswerDataAccess, type AnswerDataDeps } from '../../src/core/data-sources/answer-data.js';
import type { ChannelSource } from '../../src/core/data-sources/channel-sources.js';
import {
  type DataSource,
  DataSourceError,
  ReadOnlyRefusal,
} from '../../src/core/data-sources/data-source.js';
import type { DataToolCallRecord } from '../../src/core/data-sources/data-tool-audit.js';
import { LookedAt } from '../../src/core/data-sources/looked-at.js';
import { stepStatus, toolStep } from '../../src/core/progress.js';
import { quietLogger } from '../support/quiet-logger.js';

const TASK = { teamId: 'T1', channelId: 'C1', requesterId: 'U1', id: 7 };
const INFO = { name: 'warehouse', kind: 'postgres' as const, allowsAnalyze: false };

/** The per-answer access over stub ports: the cap, the mapping check and the audit of every call. */
function access(options: { cap?: number } = {}) {
  const audit: DataToolCallRecord[] = [];
  let mapping: ChannelSource | undefined = { sourceName: 'warehouse', setBy: 'U0', setAt: 0 };
  const source = { ...INFO } as unknown as DataSource;
  const deps: AnswerDataDeps = {
    dataSources: { get: (name) => (name === 'warehouse' ? source : undefined) },
    channelSources: { sourceOf: async () => mapping },
    dataAudit: {
      record: async (call) => {
        audit.push(call);
      },
      recent: async () => [],
    },
    logger: quietLogger,
    callsPerAnswer: options.cap ?? 30,
    resultChars: 8_000,
  };
  return {
    audit,
    unmap: () => {
      mapping = undefined;
    },
    data: new AnswerDataAccess(deps, TASK, INFO),
  };
}

describe('one answer’s data access', () => {
  it('audits every call with the requester, source, tool, statement and outcome', async () => {
    const { data, audit } = access();
    expect(await data.call('run_query', 'select 1', async () => ({ text: 'one row', rows: 1 }))).toBe(
      'one row',
    );
    expect(
      await data.call('run_query', 'delete from orders', async () => {
        throw new ReadOnlyRefusal('only SELECT may run');
      }),
    ).toEqual({ text: 'Refused (read-only): only SELECT may run', isError: true });
    expect(
      await data.call('run_query', 'select pg_sleep(1)', async () => {
        throw new DataSourceError('canceling statement due to statement timeout', true);
      }),
    ).toEqual({
      text: 'The source failed: timed out: canceling statement due to statement timeout',
      isError: true,
    });
    expect(
      await data.call('run_query', 'select boom', async () => {
        throw new Error('postgres://user:secret@db/prod exploded');
      }),
    ).toEqual({ text: 'The data tool failed unexpectedly. Continue without it.', isError: true });
    expect(audit.map(({ durationMs: _ms, ...row }) => row)).toEqual([
      { ...TASK_ROW, tool: 'run_query', statement: 'select 1', rowsReturned: 1, refused: false },
      {
        ...TASK_ROW,
        tool: 'run_query',
        statement: 'delete from orders',
        rowsReturned: 0,
        refused: true,
        reason: 'only SELECT may run',
      },
      {
        ...TASK_ROW,
        tool: 'run_query',
        statement: 'select pg_sleep(1)',
        rowsReturned: 0,
        refused: false,
        reason: 'timed out: canceling statement due to statement timeout',
      },
      {
        ...TASK_ROW,
        tool: 'run_query',
        statement: 'select boom',
        rowsReturned: 0,
        refused: false,
        reason: 'internal error',
      },
    ]);
    // A driver's message (it may hold a connection string) never reaches the model or the audit.
    expect(JSON.stringify(audit)).not.toContain('secret');
  });

  it('refuses calls past the cap, and after the channel lost its source, before the source runs', async () => {
    const { data, audit } = access({ cap: 2 });
    let ran = 0;
    const work = async () => {
      ran += 1;
      return { text: 'ok', rows: 0 };
    };
    await data.call('list_tables', '*', work);
    await data.call('list_tables', '*', work);
    const third = await data.call('list_tables', '*', work);
    expect(third).toMatchObject({ isError: true });
    expect(ran).toBe(2);
    expect(audit.at(-1)).toMatchObject({
      refused: true,
      reason: expect.stringContaining('2 data tool calls'),
    });

    const other = access();
    other.unmap();
    const lost = await other.data.call('describe_table', 'public.orders', work);
    expect(lost).toMatchObject({
      isError: true,
      text: expect.stringContaining('no longer has this data source'),
    });
    expect(ran).toBe(2);
    expect(other.audit).toHaveLength(1);
    expect(other.audit[0]).toMatchObject({ refused: true, tool: 'describe_table' });
  });
});

const TASK_ROW = { teamId: 'T1', channelId: 'C1', userId: 'U1', taskId: 7, sourceName: 'warehouse' };

describe('the "Looked at" line', () => {
  it('counts only what succeeded, tables once each, and says so when nothing did', () => {
    const seen = new LookedAt();
    expect(seen.line('warehouse')).toBeUndefined();
    seen.missed();
    expect(seen.line('warehouse')).toBe('Looked at: no data; 1 call refused or failed (source `warehouse`).');
    seen.succeeded('list_tables');
    seen.succeeded('describe_table', 'public.orders');
    seen.succeeded('describe_table', 'public.orders');
    seen.succeeded('describe_table', 'public.customers');
    seen.succeeded('profile_columns', 'public.orders');
    seen.succeeded('explain_query');
    seen.succeeded('run_query');
    seen.succeeded('run_query');
    expect(seen.line('warehouse')).toBe(
      'Looked at: 1 table list, 2 tables, 1 profile, 1 EXPLAIN plan, 2 queries (source `warehouse`); 1 call refused or failed.',
    );
  });
});

describe('the data tools’ progress steps', () => {
  it('name the table from the call, keeping only identifier characters (no markup, link or mention)', () => {
    const step = (name: string, input: unknown) => toolStep({ id: 't', name, input }, 1);
    expect(step('describe_table', { schema: 'public', table: 'orders' }).title).toBe(
      'Describing public.orders',
    );
    expect(step('profile_columns', { schema: 'sales', table: 'order_items' }).title).toBe(
      'Profiling sales.order_items',
    );
    expect(
      step('sample_rows', { schema: '<!channel>', table: '<@U0BOB0001> *x* https://evil.example' }).title,
    ).toBe('Sampling rows of channel.U0BOB0001xhttpsevil.example');
    expect(step('list_tables', {}).title).toBe('Listing the tables');
    expect(step('explain_query', { sql: 'select 1', analyze: true }).title).toBe(
      'Reading the EXPLAIN ANALYZE plan',
    );
    expect(step('run_query', { sql: 'select <!here>' }).title).toBe('Running a read-only query');
    expect(stepStatus(step('describe_table', { schema: 'public', table: 'orders' }))).toBe(
      'is describing public.orders…',
    );
  });
});
