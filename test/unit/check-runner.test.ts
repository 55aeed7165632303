import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DataSource, DataSourceError, type QueryRows } from '../../src/core/data-sources/data-source.js';
import type { CollaborationRole, OwnerAssignment } from '../../src/core/domain.js';
import type { CheckDefinition } from '../../src/core/quality-monitor/check-definition.js';
import { MAX_QA_PINGS_PER_DAY, runDueChecks } from '../../src/core/quality-monitor/check-runner.js';
import { createLogger } from '../../src/logger.js';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteQualityCheckStore } from '../../src/store/quality-check-repo.js';

/**
 * The runner over the real store (SQLite in memory), a stand-in source and a Slack that records posts:
 * the cases a review found (a dead run and a newer slot, pings per day, what a source's error may say).
 */

const at = (hours: number) => new Date(Date.UTC(2026, 10, 30, hours));

describe('check runner', () => {
  let database: OpenDatabase;
  let store: SqliteQualityCheckStore;
  let posts: { text: string; key?: string }[];
  let answer: () => QueryRows;
  let clock: Date;
  const qaOwner = new Map<CollaborationRole, OwnerAssignment>([
    ['qa', { kind: 'group', id: 'S0QA', role: 'qa', scope: 'workspace', setBy: 'U0', updatedAt: 0 }],
  ]);

  beforeEach(() => {
    database = openDatabase(':memory:');
    store = new SqliteQualityCheckStore(database.sqlite);
    posts = [];
    answer = () => ({ columns: ['amount'], rows: [[-5]], truncated: false });
    clock = at(8);
  });
  afterEach(() => database.sqlite.close());

  const source = { query: async () => answer() } as unknown as DataSource;
  const deps = () => ({
    qualityChecks: store,
    dataSources: { get: () => source },
    channelSources: { sourceOf: async () => ({ sourceName: 'warehouse', setBy: 'U0', setAt: 0 }) },
    collaboration: { effectiveOwners: async () => qaOwner },
    slack: {
      postText: async (_c: string, text: string, _t?: string, key?: string) => {
        posts.push({ text, ...(key ? { key } : {}) });
        return `${posts.length}.0`;
      },
      postBlocks: async (_c: string, message: { text: string }, _t?: string, key?: string) => {
        posts.push({ text: message.text, ...(key ? { key } : {}) });
        return `${posts.length}.0`;
      },
      findPosted: async () => undefined,
    },
    logger: createLogger({ level: 'error', secrets: [], sink: () => undefined }),
    checkClock: () => clock,
  });

  const noRows = (name: string, severity: CheckDefinition['severity'] = 'critical'): CheckDefinition => ({
    name,
    sql: 'select amount from orders where amount < 0',
    expectation: { kind: 'no_rows' },
    severity,
  });

  async function adopt(channelId: string, checks: CheckDefinition[]) {
    const taskId = Number(
      database.sqlite
        .prepare(
          `insert into tasks (team_id, channel_id, thread_ts, requester_id, source, text, title)
           values ('T1', ?, '1.1', 'U1', 'command', 'x', 'x')`,
        )
        .run(channelId).lastInsertRowid,
    );
    const result = await store.adopt({
      teamId: 'T1',
      channelId,
      taskId,
      threadTs: '1.1',
      sourceName: 'warehouse',
      schedule: { kind: 'hourly', minute: 0 },
      timeZone: 'UTC',
      adoptedBy: 'U1',
      adoptedAt: at(8),
      nextSlotAt: at(9),
      checks,
      limits: { perChannel: 50, perTeam: 500 },
    });
    if ('full' in result) throw new Error('full');
    return result.adopted;
  }

  it('a run a dead process left and a newer due slot: the newer one runs, the old one is closed, one post', async () => {
    const [check] = await adopt('C1', [noRows('a')]);
    if (!check) throw new Error('not adopted');
    // 09:00 was claimed by a process that died before it had a result.
    await store.claimRun(
      { teamId: 'T1', checkId: check.id, slotAt: at(9), nextSlotAt: at(10) },
      at(9),
      at(9),
    );
    clock = new Date(at(10).getTime() + 20 * 60_000);
    await runDueChecks(deps(), clock);
    const runs = await store.runs('T1', check.id, new Date(0));
    expect(
      runs.map((r) => [r.slotAt.toISOString().slice(11, 16), r.result?.kind, r.result?.observed]),
    ).toEqual([
      ['09:00', 'error', 'skipped: a newer slot ran instead'],
      ['10:00', 'failed', '1 row'],
    ]);
    expect(posts.filter((p) => p.text.includes('failed*'))).toHaveLength(1);
  });

  it("runs and posts each check as its workspace's work (with several workspaces: that workspace's token)", async () => {
    await adopt('C1', [noRows('a')]);
    let scope: string | undefined;
    const postedIn: (string | undefined)[] = [];
    const base = deps();
    const record =
      <A extends unknown[]>(post: (...args: A) => Promise<string>) =>
      async (...args: A) => {
        postedIn.push(scope);
        return post(...args);
      };
    clock = new Date(at(9).getTime() + 30_000);
    await runDueChecks(
      {
        ...base,
        slack: {
          ...base.slack,
          postText: record(base.slack.postText),
          postBlocks: record(base.slack.postBlocks),
        },
        inWorkspace: async <T>(teamId: string, work: () => Promise<T>): Promise<T> => {
          scope = teamId;
          try {
            return await work();
          } finally {
            scope = undefined;
          }
        },
      },
      clock,
    );
    expect(postedIn.length).toBeGreaterThan(0);
    expect(postedIn.every((team) => team === 'T1')).toBe(true);
  });

  it(`pings the QA owner at most ${MAX_QA_PINGS_PER_DAY} times a day per channel; later failures are posted without a ping`, async () => {
    await adopt(
      'C1',
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => noRows(n)),
    );
    clock = new Date(at(9).getTime() + 30_000);
    await runDueChecks(deps(), clock);
    const failures = posts.filter((p) => p.text.includes('failed*'));
    expect(failures).toHaveLength(7);
    expect(failures.filter((p) => p.text.includes('<!subteam^S0QA>'))).toHaveLength(MAX_QA_PINGS_PER_DAY);
  });

  it('keeps the QA ping cap when two processes announce at once over a store that answers later', async () => {
    await adopt(
      'C1',
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => noRows(n)),
    );
    clock = new Date(at(9).getTime() + 30_000);
    // A first pass runs the checks but cannot post (and has no QA owner to ping): all 7 wait to be posted.
    const offline = deps();
    offline.collaboration.effectiveOwners = async () => new Map();
    offline.slack.postBlocks = async () => {
      throw new Error('service_unavailable');
    };
    await runDueChecks(offline, clock);
    expect(await store.unannounced(10)).toHaveLength(7);
    // Like a database across the network: every store call answers one to three turns of the event loop
    // later (a fixed pattern, so the test is repeatable), so the two passes interleave between any two
    // calls (a count and an insert included).
    let calls = 0;
    const remote = new Proxy(store, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          calls += 1;
          for (let turn = 0; turn <= calls % 3; turn += 1)
            await new Promise((resolve) => setImmediate(resolve));
          return value.apply(target, args);
        };
      },
    });
    await Promise.all([
      runDueChecks({ ...deps(), qualityChecks: remote }, clock),
      runDueChecks({ ...deps(), qualityChecks: remote }, clock),
    ]);
    const failures = posts.filter((p) => p.text.includes('failed*'));
    expect(failures).toHaveLength(7);
    expect(failures.filter((p) => p.text.includes('<!subteam^S0QA>'))).toHaveLength(MAX_QA_PINGS_PER_DAY);
  });

  it('never keeps what a source error quotes from the data, and masks a value that is personal data', async () => {
    const [failing] = await adopt('C1', [noRows('cast', 'warning')]);
    answer = () => {
      throw new DataSourceError('invalid input syntax for type integer: "alice.martin@example.com"');
    };
    clock = new Date(at(9).getTime() + 30_000);
    await runDueChecks(deps(), clock);
    expect((await store.runs('T1', failing?.id ?? 0, new Date(0)))[0]?.result).toEqual({
      kind: 'error',
      observed: 'the query failed on the source',
    });

    const [value] = await adopt('C2', [
      {
        name: 'card',
        sql: 'select card from t limit 1',
        expectation: { kind: 'value_between', max: -1 },
        severity: 'warning',
      },
    ]);
    answer = () => ({ columns: ['card'], rows: [['4111111111111111']], truncated: false });
    clock = new Date(at(10).getTime() + 30_000);
    await runDueChecks(deps(), clock);
    const observed = (await store.runs('T1', value?.id ?? 0, new Date(0)))[0]?.result?.observed;
    expect(observed).toBe('<card ****1111>');
    expect(posts.map((p) => p.text).join('\n')).not.toContain('4111111111111111');
  });

  it('gives up a post that keeps failing after five tries, so it cannot hold up the others', async () => {
    await adopt('C1', [noRows('a')]);
    const failing = deps();
    let tries = 0;
    failing.slack.postBlocks = async () => {
      tries += 1;
      throw new Error('invalid_blocks');
    };
    clock = new Date(at(9).getTime() + 30_000);
    // Each pass tries before and after its runs.
    await runDueChecks(failing, clock);
    expect(await store.unannounced(10)).toHaveLength(1);
    for (let pass = 0; pass < 3; pass += 1) await runDueChecks(failing, clock);
    expect(tries).toBe(5);
    expect(await store.unannounced(10)).toHaveLength(0);
  });
});
