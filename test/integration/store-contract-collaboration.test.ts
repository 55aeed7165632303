import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NewCollaborationRequest } from '../../src/core/collaboration/collaboration-store.js';
import { SqliteCollaborationStore } from '../../src/store/collaboration-repo.js';
import { PostgresCollaborationStore } from '../../src/store/postgres/collaboration-repo.js';
import { openConnections } from '../support/concurrency.js';
import { execSql, resetStore, STORE_ENGINES, type StoreEngine } from '../support/store-engines.js';

/**
 * Collaboration requests behave the same on SQLite and PostgreSQL; on PostgreSQL several instances run
 * at once, so each claim is also fired concurrently (a real server's pool has four connections).
 */

function reposOf(engine: StoreEngine) {
  if (engine.dialect === 'sqlite') {
    const { db } = engine.database;
    return {
      collaboration: new SqliteCollaborationStore(db),
      exec: (statement: string) => execSql(engine, statement),
      openConnections: async () => {},
    };
  }
  const { db } = engine.database;
  return {
    collaboration: new PostgresCollaborationStore(db),
    exec: (statement: string) => execSql(engine, statement),
    openConnections: () => openConnections(db),
  };
}

const ask = (change: Partial<NewCollaborationRequest> = {}): NewCollaborationRequest => ({
  teamId: 'T1',
  taskId: 1,
  channelId: 'C1',
  threadTs: '1.0',
  role: 'backend',
  topic: 'Orders API schema',
  request: 'Which fields are nullable?',
  reason: 'The model needs it',
  owner: { kind: 'user', id: 'UBE' },
  ...change,
});

describe.each(STORE_ENGINES)('collaboration store on %s', (_name, open) => {
  let engine: StoreEngine;
  let repos: ReturnType<typeof reposOf>;
  beforeAll(async () => {
    engine = await open();
    repos = reposOf(engine);
  }, 60_000);
  beforeEach(async () => {
    await resetStore(engine);
    await repos.exec(`insert into tasks (team_id, channel_id, requester_id, source, text, title)
      values ('T1', 'C1', 'U1', 'command', 'orders', 'Orders'), ('T1', 'C1', 'U1', 'command', 'users', 'Users')`);
  });
  afterAll(async () => {
    await engine.close();
  });

  it('owners: the workspace default, overridden per channel, per team', async () => {
    const store = repos.collaboration;
    await store.setOwner('T1', undefined, 'qa', { kind: 'user', id: 'UQA' }, 'UADMIN');
    await store.setOwner('T1', 'C1', 'qa', { kind: 'group', id: 'SQA' }, 'UADMIN');
    expect((await store.effectiveOwners('T1', 'C1')).get('qa')).toMatchObject({
      id: 'SQA',
      scope: 'channel',
    });
    expect((await store.effectiveOwners('T1', 'C2')).get('qa')).toMatchObject({
      id: 'UQA',
      scope: 'workspace',
    });
    expect((await store.effectiveOwners('T2', 'C1')).size).toBe(0);
    expect(await store.clearOwner('T1', 'C1', 'qa')).toBe(true);
    expect(await store.clearOwner('T1', 'C1', 'qa')).toBe(false);
  });

  it('one request per task and role: the same topic (any spelling) or another returns the first', async () => {
    const store = repos.collaboration;
    const first = await store.recordRequest(ask());
    expect(first).toMatchObject({
      created: true,
      sameTopic: false,
      request: { status: 'open', topic: 'Orders API schema' },
    });
    expect(first.request.owner).toEqual({ kind: 'user', id: 'UBE' });
    const same = await store.recordRequest(ask({ topic: '  orders-API   schema!' }));
    expect(same).toMatchObject({ created: false, sameTopic: true, request: { id: first.request.id } });
    const other = await store.recordRequest(ask({ topic: 'Retries' }));
    expect(other).toMatchObject({ created: false, sameTopic: false, request: { id: first.request.id } });
    // Done does not open the door to a new one.
    await store.advance('T1', first.request.id, 'done', 'U1');
    expect((await store.recordRequest(ask({ topic: 'Later' }))).created).toBe(false);
    // Another role, another task: new requests.
    expect((await store.recordRequest(ask({ role: 'qa' }))).created).toBe(true);
    expect((await store.recordRequest(ask({ taskId: 2 }))).created).toBe(true);
    expect(await store.getRequest('T2', first.request.id)).toBeUndefined();
  });

  it('concurrent: requests for the same task and role at once store exactly one', async () => {
    const topics = ['Schema', 'Retries', 'Backfill', 'Partitions', 'Schema', 'Owners'];
    await repos.openConnections();
    const results = await Promise.all(
      topics.map((topic) => repos.collaboration.recordRequest(ask({ topic }))),
    );
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.request.id)).size).toBe(1);
    expect((await repos.collaboration.openInChannel('T1', 'C1', 10)).total).toBe(1);
  });

  it('announcements: claimed first once, again while unconfirmed, never after the post', async () => {
    const store = repos.collaboration;
    const { request } = await store.recordRequest(ask());
    expect((await store.unannounced('T1', 1)).map((r) => r.id)).toEqual([request.id]);
    expect(await store.claimAnnouncement('T2', request.id, 'ping')).toBeUndefined();
    expect(await store.claimAnnouncement('T1', request.id, 'ping')).toBe('first');
    // Claimed but not confirmed: still unannounced, claimable as 'unconfirmed'.
    expect((await store.unannounced('T1', 1)).map((r) => r.id)).toEqual([request.id]);
    expect(await store.claimAnnouncement('T1', request.id, 'ping')).toBe('unconfirmed');
    await store.confirmAnnouncement('T1', request.id, 'ping', '9.9');
    expect(await store.claimAnnouncement('T1', request.id, 'ping')).toBeUndefined();
    expect(await store.unannounced('T1', 1)).toEqual([]);
    expect((await store.getRequest('T1', request.id))?.pingTs).toBe('9.9');
    // Each kind is its own claim.
    expect(await store.claimAnnouncement('T1', request.id, 'invite')).toBe('first');
  });

  it('concurrent: one claim of a post at once is the first, the others see it claimed', async () => {
    const { request } = await repos.collaboration.recordRequest(ask({ owner: null }));
    await repos.openConnections();
    const claims = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => repos.collaboration.claimAnnouncement('T1', request.id, 'guidance')),
    );
    expect(claims.filter((claim) => claim === 'first')).toHaveLength(1);
    expect(claims.filter((claim) => claim === 'unconfirmed')).toHaveLength(5);
  });

  it('unassigned requests get an owner once; concurrent assignments: one wins', async () => {
    const store = repos.collaboration;
    const { request } = await store.recordRequest(ask({ owner: null }));
    await store.recordRequest(ask({ role: 'qa', owner: null }));
    expect((await store.unassigned('T1', 'backend')).map((r) => r.id)).toEqual([request.id]);
    expect(await store.unassigned('T2', 'backend')).toEqual([]);
    const owners = ['UA', 'UB', 'UC', 'UD'];
    await repos.openConnections();
    const assigned = await Promise.all(
      owners.map((id) => store.assignOwner('T1', request.id, { kind: 'user', id })),
    );
    expect(assigned.filter(Boolean)).toHaveLength(1);
    const winner = owners[assigned.indexOf(true)];
    expect((await store.getRequest('T1', request.id))?.owner).toEqual({ kind: 'user', id: winner });
    expect(await store.unassigned('T1', 'backend')).toEqual([]);
    expect(await store.assignOwner('T2', request.id, { kind: 'user', id: 'UX' })).toBe(false);
  });

  it('advance: open → acknowledged → done once each; concurrent presses change it once', async () => {
    const store = repos.collaboration;
    const { request } = await store.recordRequest(ask());
    await repos.openConnections();
    const acks = await Promise.all(
      ['U1', 'U2', 'U3', 'U4'].map((u) => store.advance('T1', request.id, 'acknowledged', u)),
    );
    expect(acks.filter((ack) => ack?.changed)).toHaveLength(1);
    expect(acks.every((ack) => ack?.request.status === 'acknowledged')).toBe(true);
    expect(await store.advance('T1', request.id, 'acknowledged', 'U5')).toMatchObject({ changed: false });
    const done = await Promise.all(['U1', 'U2', 'U3'].map((u) => store.advance('T1', request.id, 'done', u)));
    expect(done.filter((move) => move?.changed)).toHaveLength(1);
    expect(await store.advance('T1', request.id, 'acknowledged', 'U5')).toMatchObject({
      changed: false,
      request: { status: 'done' },
    });
    expect(await store.advance('T2', request.id, 'done', 'U5')).toBeUndefined();
    expect(await store.advance('T1', 999, 'done', 'U5')).toBeUndefined();
  });

  it('open in channel: oldest first, limited, with the total, per team', async () => {
    const store = repos.collaboration;
    const a = await store.recordRequest(ask());
    const b = await store.recordRequest(ask({ role: 'qa' }));
    const c = await store.recordRequest(ask({ role: 'devops' }));
    // Created in the same millisecond, perhaps: the order by creation is made explicit.
    await repos.exec('update collaboration_requests set created_at = 1000 * id');
    await store.advance('T1', c.request.id, 'done', 'U1');
    await store.advance('T1', b.request.id, 'acknowledged', 'U1');
    const open = await store.openInChannel('T1', 'C1', 1);
    expect(open.total).toBe(2);
    expect(open.requests.map((r) => r.id)).toEqual([a.request.id]);
    expect((await store.openInChannel('T1', 'C1', 5)).requests.map((r) => r.id)).toEqual([
      a.request.id,
      b.request.id,
    ]);
    expect(await store.openInChannel('T2', 'C1', 5)).toEqual({ requests: [], total: 0 });
  });
});
