import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DigestScheduler } from '../../src/core/digest/digest-scheduler.js';
import type { DigestDeps } from '../../src/core/digest/post-digest.js';
import { PeopleDirectory } from '../../src/core/people.js';
import type { UserDirectory } from '../../src/core/slack-roles.js';
import { SqliteCollaborationStore } from '../../src/store/collaboration-repo.js';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteDigestStore } from '../../src/store/digest-repo.js';
import { quietLogger } from '../support/quiet-logger.js';

const TEAM = 'T1';

/** Digests here name nobody: a user look-up is a bug. */
const noUserLookups = {
  getUser: () => {
    throw new Error('not used by digests');
  },
} as unknown as UserDirectory;

/** The Slack side of a digest, recorded: only posting is needed. */
function recordingSlack(posts: { channel: string; text: string; threadTs?: string }[]): DigestDeps['slack'] {
  let n = 0;
  return {
    async postText(channel, text, threadTs) {
      posts.push({ channel, text, ...(threadTs ? { threadTs } : {}) });
      n += 1;
      return `1700000000.${String(n).padStart(6, '0')}`;
    },
    messageLink: (channel, ts) => `https://example.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
    findPosted: async () => undefined,
  };
}

describe('DigestScheduler.runDue (fake clock)', () => {
  let dir: string;
  let databases: OpenDatabase[];
  let posts: { channel: string; text: string; threadTs?: string }[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'deb-digest-'));
    databases = [];
    posts = [];
  });
  afterEach(() => {
    for (const database of databases) database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One bot instance on the shared database file. */
  function instance(schedule = { time: '09:00', timeZone: 'Europe/Berlin' }): DigestScheduler {
    const database = openDatabase(join(dir, 'bot.db'));
    databases.push(database);
    const slack = recordingSlack(posts);
    const deps: DigestDeps = {
      digests: new SqliteDigestStore(database.db, new SqliteCollaborationStore(database.db)),
      slack,
      people: new PeopleDirectory(noUserLookups, quietLogger),
      logger: quietLogger,
      defaultSchedule: schedule,
      postWhenEmpty: false,
    };
    return new DigestScheduler(deps, TEAM, () => undefined);
  }

  /** A task asked in `channel` at `createdAt` (ms). */
  function task(channel: string, createdAt: number, status = 'done'): void {
    const sqlite = databases[0]?.sqlite;
    if (!sqlite) throw new Error('open an instance first');
    sqlite
      .prepare(
        `insert into tasks (team_id, channel_id, thread_ts, requester_id, source, text, title, status, created_at, updated_at, completed_at)
         values (?, ?, ?, 'U1', 'command', 'design it', 'Design it', ?, ?, ?, ?)`,
      )
      .run(TEAM, channel, `${createdAt / 1000}.000100`, status, createdAt, createdAt, createdAt);
  }

  const parents = () => posts.filter((p) => !p.threadTs);

  it('posts each channel once per local day, also with two instances and repeated looks', async () => {
    const a = instance();
    const b = instance();
    task('C1', Date.parse('2026-11-25T15:00:00Z'));
    task('C2', Date.parse('2026-11-25T16:00:00Z'));
    const nine = new Date('2026-11-26T08:00:30Z'); // 09:00:30 in Berlin
    const [first, second] = await Promise.all([a.runDue(nine), b.runDue(nine)]);
    expect([...(first ?? []), ...(second ?? [])].filter(([, outcome]) => outcome === 'posted')).toHaveLength(
      2,
    );
    await a.runDue(new Date('2026-11-26T12:00:00Z'));
    expect(
      parents()
        .map((p) => p.channel)
        .sort(),
    ).toEqual(['C1', 'C2']);
    expect(parents()[0]?.text).toContain('*1* asked');
  });

  it('posts a digest missed while down when it starts later the same day, and not the next day', async () => {
    const bot = instance();
    task('C1', Date.parse('2026-11-25T15:00:00Z'));
    expect((await bot.runDue(new Date('2026-11-26T07:00:00Z'))).size).toBe(0); // 08:00: not yet
    // Down at 09:00; started at 16:30 Berlin time.
    expect((await bot.runDue(new Date('2026-11-26T15:30:00Z'))).get('C1')).toBe('posted');
    // Had it been down all day, the next morning posts the next day's digest, not the missed one.
    const late = instance();
    task('C9', Date.parse('2026-11-25T15:00:00Z'));
    const outcomes = await late.runDue(new Date('2026-11-27T08:30:00Z'));
    expect(outcomes.get('C9')).toBe('empty'); // its activity fell in the missed day's period
    expect(parents().map((p) => p.channel)).toEqual(['C1']);
  });

  it('takes over a run left half-posted by a process that died, once', async () => {
    const bot = instance({ time: '09:00', timeZone: 'UTC' });
    task('C1', Date.parse('2026-11-25T15:00:00Z'));
    const sqlite = databases[0]?.sqlite;
    // A claim from 10:00 that never finished (the process died while posting).
    sqlite
      ?.prepare(
        "insert into digest_runs (team_id, channel_id, local_date, status, created_at) values (?, 'C1', '2026-11-26', 'posting', ?)",
      )
      .run(TEAM, Date.now() - 11 * 60_000);
    expect((await bot.runDue(new Date('2026-11-26T10:20:00Z'))).get('C1')).toBe('posted');
    expect((await bot.runDue(new Date('2026-11-26T10:21:00Z'))).get('C1')).toBe('skipped');
    expect(parents().map((p) => p.channel)).toEqual(['C1']);
  });

  it('covers the period since the previous scheduled time, and posts nothing when there is nothing', async () => {
    const bot = instance({ time: '09:00', timeZone: 'UTC' });
    task('C1', Date.parse('2026-11-26T09:30:00Z')); // after today's 09:00: tomorrow's digest
    expect((await bot.runDue(new Date('2026-11-26T10:00:00Z'))).get('C1')).toBe('empty');
    expect(posts).toHaveLength(0);
    expect((await bot.runDue(new Date('2026-11-27T09:00:00Z'))).get('C1')).toBe('posted');
  });

  it('skips channels whose digest is off and follows a channel’s own time and zone', async () => {
    const bot = instance({ time: '09:00', timeZone: 'UTC' });
    task('C1', Date.parse('2026-11-25T15:00:00Z'));
    task('C2', Date.parse('2026-11-25T15:00:00Z'));
    const db = databases[0]?.db;
    if (!db) throw new Error('no database');
    const store = new SqliteDigestStore(db, new SqliteCollaborationStore(db));
    await store.saveDigestSetting(TEAM, 'C1', { enabled: false }, 'U0ADMIN');
    await store.saveDigestSetting(TEAM, 'C2', { time: '07:00', timeZone: 'Asia/Tokyo' }, 'U0ADMIN');
    // 07:00 in Tokyo on the 26th is 22:00 UTC on the 25th: C2's day starts before UTC's.
    expect([...(await bot.runDue(new Date('2026-11-25T22:00:10Z')))]).toEqual([['C2', 'posted']]);
    // Later the same Tokyo day, at UTC's 09:00: C2 was done for its day, C1 stays off.
    expect([...(await bot.runDue(new Date('2026-11-26T09:00:10Z')))]).toEqual([['C2', 'skipped']]);
    expect(parents().map((p) => p.channel)).toEqual(['C2']);
  });
});
