import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIGEST_LIST_LIMIT } from '../../src/core/digest/post-digest.js';
import { digestDetails, digestParent } from '../../src/render/digest-messages.js';
import { SqliteCollaborationStore } from '../../src/store/collaboration-repo.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteDigestStore } from '../../src/store/digest-repo.js';
import { summarise } from '../stats.js';

const TEAM = 'T0BENCH01';
const CHANNEL = 'C0BUSY001';
const DAY = 86_400_000;
const STATUSES = ['done', 'done', 'done', 'failed', 'waiting_for_answers', 'running'] as const;
const ROLES = ['backend', 'devops', 'security', 'qa'] as const;

/**
 * (e) Building one channel's digest (queries and rendering, no Slack) for a day with 10,000 tasks,
 * 10,000 answer turns and 1,000 open collaboration requests, beside 40,000 tasks in other channels.
 * Baseline, same process: the same build after dropping the digest's indexes.
 */
export async function digestScenario(iterations = 30) {
  const dir = mkdtempSync(join(tmpdir(), 'deb-bench-digest-'));
  const database = openDatabase(join(dir, 'bot.db'));
  try {
    const now = Date.now();
    seed(database.sqlite, now);
    const store = new SqliteDigestStore(database.db, new SqliteCollaborationStore(database.db));
    const link = (channel: string, ts: string) =>
      `https://bench.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
    let messages = 0;
    let chars = 0;
    const build = async () => {
      const started = performance.now();
      const facts = await store.digestFacts(TEAM, CHANNEL, now - DAY, now, DIGEST_LIST_LIMIT);
      const parts = [
        digestParent(facts, 'Thu 26 Nov'),
        ...digestDetails(facts, link, now, (who) => `name of ${who.id}`),
      ];
      messages = parts.length;
      chars = Math.max(...parts.map((p) => p.length));
      return performance.now() - started;
    };
    await build(); // warm the statement cache and the page cache
    const indexed = summarise(await inTurn(iterations, build));
    for (const index of [
      'tasks_team_channel_created',
      'tasks_team_channel_status',
      'tasks_team_channel_completed',
      'tasks_team_status',
      'collaboration_team_channel_status',
      'turns_team_created',
    ]) {
      database.sqlite.exec(`drop index ${index}`);
    }
    await build();
    const withoutIndexes = summarise(await inTurn(Math.min(iterations, 10), build));
    return {
      tasks: 10_000,
      otherChannelTasks: 40_000,
      openRequests: 1_000,
      indexed,
      withoutIndexes,
      messages,
      longestMessageChars: chars,
    };
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function seed(sqlite: ReturnType<typeof openDatabase>['sqlite'], now: number): void {
  const task = sqlite.prepare(
    `insert into tasks (team_id, channel_id, thread_ts, requester_id, source, text, title, status, model, created_at, updated_at, completed_at)
     values (?, ?, ?, ?, 'mention', ?, ?, ?, 'claude-sonnet-5-5', ?, ?, ?)`,
  );
  const turn = sqlite.prepare(
    `insert into turns (team_id, task_id, role, content, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, created_at)
     values (?, ?, 'assistant', 'answer', 1200, 900, 4000, 300, ?)`,
  );
  const request = sqlite.prepare(
    `insert into collaboration_requests (team_id, task_id, channel_id, thread_ts, role, topic, topic_key, request, reason, owner_kind, owner_id, status, created_at)
     values (?, ?, ?, ?, ?, ?, ?, 'Provide the access grants.', 'PII.', 'user', 'U0OWNER01', 'open', ?)`,
  );
  sqlite.transaction(() => {
    for (let i = 0; i < 50_000; i++) {
      const busy = i < 10_000;
      const channel = busy ? CHANNEL : `C0OTHER${String(i % 40).padStart(2, '0')}`;
      const at = now - Math.floor(((i % 10_000) / 10_000) * (busy ? DAY : 7 * DAY));
      const status = STATUSES[i % STATUSES.length] ?? 'done';
      const ts = `${Math.floor(at / 1000)}.${String(i).padStart(6, '0')}`;
      const title = `Pipeline task ${i}: backfill orders partition`;
      const done = status === 'done' || status === 'failed' ? at + 60_000 : null;
      const { lastInsertRowid } = task.run(
        TEAM,
        channel,
        ts,
        `U${String(i % 200).padStart(8, '0')}`,
        title,
        title,
        status,
        at,
        at,
        done,
      );
      turn.run(TEAM, lastInsertRowid, at + 30_000);
      if (busy && i < 1_000) {
        const role = ROLES[i % ROLES.length] ?? 'security';
        request.run(TEAM, lastInsertRowid, CHANNEL, ts, role, `Topic ${i}`, `topic ${i}`, at);
      }
    }
  })();
}

/** Runs `fn` `n` times one after another (never two at once: each is timed alone). */
async function inTurn(n: number, fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}
