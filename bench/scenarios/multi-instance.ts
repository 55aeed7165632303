import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { FAKE_APP, type FakeWorkspace } from '../../test/support/fake-slack/workspaces.js';
import { TEST_SECRETS } from '../../test/support/harness.js';
import { eventEnvelope, signSlackRequest, slashCommandBody } from '../../test/support/slack-signing.js';
import { type BotProcess, buildBot, startBotProcess } from '../bot-process.js';
import { control, type FakesProcess, type FakesRecord, startFakesProcess } from '../fakes-process.js';
import { round, type Summary, summarise, table } from '../stats.js';
import { freePort, postgresUnavailable, startThrowawayPostgres } from '../throwaway-postgres.js';

/** About 1,100 characters (~280 tokens), no code block: nothing for the sandbox checks to run. */
const ANSWER = [
  '## Data Engineering Solution: Orders ingestion',
  '### Data Architecture',
  '- `raw.orders` append-only, partitioned by ingestion date; `curated.orders` merged by order_id.',
  '- Storage: object store (Parquet) for raw, warehouse tables for curated, 400 days retention.',
  '- Processing: hourly incremental batches with a watermark on updated_at.',
  '### Implementation Plan',
  '- Airflow DAG: extract → validate → merge → publish; each step idempotent.',
  '- Targets: data fresh within 90 minutes; dashboard queries under 2 s via a daily rollup.',
  '### Checks',
  '- Validation: order_id unique, amount ≥ 0, currency in ISO 4217, null rate of customer_id < 0.1%.',
  '- Monitoring: row-count reconciliation per batch, freshness alert after 2 hours.',
  '- Recovery: replay any partition from raw; merges are idempotent.',
].join('\n');

/** The fake model: fast enough that each process's MAX_CONCURRENT_GENERATIONS, not the model, sets the pace. */
const MODEL = { firstTokenDelayMs: 300, tokensPerSecond: 300 };
const GENERATIONS_PER_PROCESS = 8;
const WAVE = 25;
const WAVE_PAUSE_MS = 400;
/** How long the killed process stays down before it is started again on the same port. */
const DOWN_MS = 5_000;
const DRAIN_TIMEOUT_MS = 4 * 60_000;
/** After the last answer: time for a late duplicate (a job run twice) to show. */
const SETTLE_MS = 5_000;

const WORKSPACES: FakeWorkspace[] = [
  {
    teamId: 'T0BENCHAA',
    teamName: 'Alpha',
    botUserId: 'U0BOTAAAA',
    botId: 'B0BOTAAAA',
    url: 'https://alpha.slack.com/',
  },
  {
    teamId: 'T0BENCHBB',
    teamName: 'Bravo',
    botUserId: 'U0BOTBBBB',
    botId: 'B0BOTBBBB',
    url: 'https://bravo.slack.com/',
  },
];
const DIGEST_PREFIX = ':bar_chart: *Data engineering digest';

export interface MultiRun {
  instances: number;
  tasks: number;
  followUps: number;
  /** Deliveries that never got a 2xx from any instance (after the load balancer's retries). */
  unacknowledged: number;
  /** Deliveries the load balancer sent again to another instance (connection error or 5xx). */
  lbRetries: number;
  answersPerMinute: number;
  ackMs: Summary;
  /** Ack → the first Slack write for the task (its parent post, status or stream), per task. */
  queueLagMs: Summary;
  /** Acknowledged tasks and follow-ups without one complete final answer in their thread. */
  lost: number;
  /** Final answers (or parents, or 👍/👎 prompts) beyond one per task and follow-up. */
  duplicated: number;
  /** Other bot replies in task threads: neither a complete answer nor a 👍/👎 prompt (e.g. a stream cut by the kill). */
  leftovers: number;
  seconds: number;
  kill?: {
    instance: number;
    afterTasks: number;
    /** Answer jobs the killed process held (locked in graphile-worker) when it was killed. */
    answersHeld: number;
    downSeconds: number;
    restartSeconds: number;
  };
  digests?: {
    channelsWithActivity: number;
    once: number;
    missing: number;
    duplicated: number;
    extra: number;
    /** The instances' deb_digests_total: `skipped` counts a channel's day another instance had claimed. */
    runs: Record<string, number>;
    /** Digest runs (any outcome) per instance, in start order. */
    perInstance: number[];
  };
}

export type MultiInstanceResult =
  | { skipped: string }
  | {
      postgres: string;
      model: typeof MODEL;
      generationsPerProcess: number;
      three: MultiRun;
      one: MultiRun;
      throughputRatio: number;
    };

interface Task {
  index: number;
  kind: 'command' | 'mention';
  workspace: FakeWorkspace;
  channel: string;
  user: string;
  marker: string;
  body: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
  /** The mention's own ts (its thread); for a command the bot's parent post is the thread. */
  mentionTs?: string;
  ackedAt?: number;
  /** From the first try to the 2xx, retries included. */
  ackMs?: number;
  followUpAckedAt?: number;
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * (l) multi-instance: 500 tasks (slash commands and mentions, mixed) across 50 channels of 2
 * workspaces (installed through the real OAuth flow), sent through a round-robin load balancer to 3
 * bot processes sharing one throwaway PostgreSQL; about a third of the way through the sending one
 * process is SIGKILLed and started again 5 s later on the same port. Checked from the fake Slack's
 * record: one final answer per task and follow-up (0 lost, 0 duplicated) and one digest per channel
 * with activity. Baseline, same run: the same workload on 1 process on its own fresh database.
 */
export async function multiInstanceScenario(
  options: { tasks?: number; channels?: number; build?: boolean } = {},
): Promise<MultiInstanceResult> {
  const unavailable = postgresUnavailable();
  if (unavailable) return { skipped: unavailable };
  if (options.build !== false) buildBot();
  const postgres = await startThrowawayPostgres();
  try {
    const shape = { tasks: options.tasks ?? 500, channels: options.channels ?? 50 };
    const three = await runWorkload({
      ...shape,
      instances: 3,
      databaseUrl: await postgres.createDatabase('deb_bench_three'),
      killOne: true,
      digest: true,
    });
    const one = await runWorkload({
      ...shape,
      instances: 1,
      databaseUrl: await postgres.createDatabase('deb_bench_one'),
      killOne: false,
      digest: false,
    });
    return {
      postgres: postgres.version,
      model: MODEL,
      generationsPerProcess: GENERATIONS_PER_PROCESS,
      three,
      one,
      throughputRatio: round(three.answersPerMinute / one.answersPerMinute),
    };
  } finally {
    postgres.stop();
  }
}

/**
 * A round-robin load balancer as Slack and a proxy in front of the instances behave together: a
 * delivery that meets a connection error or a 5xx (a dead instance, one starting or draining) is sent
 * again, unchanged, to the next instance; an event's repeat carries X-Slack-Retry-Num as Slack's does.
 */
class RoundRobin {
  retries = 0;
  private next = 0;

  constructor(private readonly urls: string[]) {}

  /** Delivers until an instance answers; the 2xx's arrival (epoch ms) and the time since the first try. */
  async deliver(
    body: string,
    contentType: Task['contentType'],
  ): Promise<{ at: number; ms: number } | undefined> {
    const sentAt = now();
    for (let attempt = 0; attempt < 12; attempt++) {
      const target = this.urls[this.next++ % this.urls.length];
      const retry: Record<string, string> =
        attempt > 0 && contentType === 'application/json'
          ? { 'x-slack-retry-num': String(attempt), 'x-slack-retry-reason': 'http_error' }
          : {};
      try {
        const response = await fetch(`${target}/slack/events`, {
          method: 'POST',
          headers: {
            'content-type': contentType,
            ...signSlackRequest(TEST_SECRETS.signingSecret, body),
            ...retry,
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const at = now();
        await response.arrayBuffer();
        if (response.status < 500) return response.status === 200 ? { at, ms: at - sentAt } : undefined;
      } catch {
        // Connection refused or reset: the next instance gets it.
      }
      this.retries += 1;
      // Every instance failed in a row: back off a little, as Slack's retries do.
      if (attempt % this.urls.length === this.urls.length - 1) await sleep(500);
    }
    return undefined;
  }
}

/** HH:MM in UTC of the first minute boundary at least `leadMs` from now, and whether it is still today. */
function digestMinute(leadMs: number): { time: string; at: number } {
  const at = Math.ceil((Date.now() + leadMs) / 60_000) * 60_000;
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return { time: `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`, at };
}

/** A digest time that will not come during the run (12 hours away). */
function digestNever(): string {
  return digestMinute(12 * 3_600_000).time;
}

/** Installs the app in `workspace` through `bot`'s /slack/install and /slack/oauth_redirect. */
async function install(fakes: FakesProcess, bot: BotProcess, workspace: FakeWorkspace): Promise<void> {
  const page = await fetch(`${bot.url}/slack/install`);
  const state = /slack-app-oauth-state=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1];
  await page.arrayBuffer();
  if (page.status !== 200 || !state)
    throw new Error(`/slack/install answered ${page.status} without a state`);
  const installer = `U0INST${workspace.teamId.slice(-3)}`;
  const { code } = await control<{ code: string }>(fakes, '/approve-install', { workspace, installer });
  const done = await fetch(`${bot.url}/slack/oauth_redirect?code=${code}&state=${state}`, {
    headers: { cookie: `slack-app-oauth-state=${state}` },
  });
  await done.arrayBuffer();
  if (done.status !== 200) throw new Error(`the install of ${workspace.teamName} answered ${done.status}`);
}

function channelsOf(count: number): { id: string; workspace: FakeWorkspace }[] {
  return Array.from({ length: count }, (_, i) => {
    const workspace = WORKSPACES[i % WORKSPACES.length] as FakeWorkspace;
    return { id: `C0MI${workspace.teamId.slice(-2)}${String(i).padStart(3, '0')}`, workspace };
  });
}

async function buildTasks(fakes: FakesProcess, count: number, channelCount: number): Promise<Task[]> {
  const channels = channelsOf(channelCount);
  await control(fakes, '/channels', {
    channels: channels.map((c) => ({
      id: c.id,
      team: c.workspace.teamId,
      name: `data-${c.id.toLowerCase()}`,
    })),
  });
  const { urls } = await control<{ urls: string[] }>(fakes, '/response-urls', { count });
  const seconds = Math.floor(Date.now() / 1000);
  const tasks = Array.from({ length: count }, (_, index): Task => {
    const { id: channel, workspace } = channels[index % channels.length] as (typeof channels)[number];
    const user = `U0MI${String(index).padStart(5, '0')}`;
    const marker = `[t${index}]`;
    if (index % 2 === 0) {
      return {
        index,
        kind: 'command',
        workspace,
        channel,
        user,
        marker,
        contentType: 'application/x-www-form-urlencoded',
        body: slashCommandBody({
          text: `design the orders ingestion for feed ${marker}`,
          team_id: workspace.teamId,
          channel_id: channel,
          user_id: user,
          response_url: urls[index] ?? '',
        }),
      };
    }
    const mentionTs = `${seconds}.${String(index).padStart(6, '0')}`;
    return {
      index,
      kind: 'mention',
      workspace,
      channel,
      user,
      marker,
      mentionTs,
      contentType: 'application/json',
      body: eventEnvelope(
        {
          type: 'app_mention',
          channel,
          user,
          text: `<@${workspace.botUserId}> design the orders ingestion for feed ${marker}`,
          ts: mentionTs,
        },
        { team_id: workspace.teamId },
      ),
    };
  });
  await control(fakes, '/users', { users: tasks.map((t) => ({ id: t.user, team_id: t.workspace.teamId })) });
  await control(fakes, '/messages', {
    messages: tasks
      .filter((t) => t.mentionTs)
      .map((t) => ({
        channel: t.channel,
        ts: t.mentionTs,
        user: t.user,
        text: `<@${t.workspace.botUserId}> …`,
      })),
  });
  return tasks;
}

/** A reply in a mention's thread, as Slack delivers it (a `message` event with thread_ts). */
function followUpBody(task: Task, seconds: number): string {
  return eventEnvelope(
    {
      type: 'message',
      channel: task.channel,
      user: task.user,
      text: 'and add a backfill for the last 90 days, please',
      ts: `${seconds}.${String(task.index).padStart(6, '0')}`,
      thread_ts: task.mentionTs,
      channel_type: 'channel',
    },
    { team_id: task.workspace.teamId },
  );
}

interface Instance {
  port: number;
  metricsPort: number;
  bot?: BotProcess;
}

/** The answer jobs a process (by pid) holds locked in graphile-worker right now. */
async function answersHeldBy(databaseUrl: string, pid: number | undefined): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select count(*)::int as n from graphile_worker._private_jobs j
         join answer_queue_workers q on q.worker_id = j.locked_by
         join workers w on w.id = q.process_id
        where w.pid = $1`,
      [pid ?? -1],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** The sum over the instances of deb_digests_total, by outcome. */
async function digestRuns(
  instances: Instance[],
): Promise<{ runs: Record<string, number>; perInstance: number[] }> {
  const runs: Record<string, number> = {};
  const perInstance: number[] = [];
  for (const instance of instances) {
    let mine = 0;
    const text = await fetch(`http://127.0.0.1:${instance.metricsPort}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    for (const [, outcome, value] of text.matchAll(/^deb_digests_total\{outcome="(\w+)"\} (\d+)/gm)) {
      runs[outcome as string] = (runs[outcome as string] ?? 0) + Number(value);
      mine += Number(value);
    }
    perInstance.push(mine);
  }
  return { runs, perInstance };
}

export async function runWorkload(options: {
  instances: number;
  tasks: number;
  channels: number;
  databaseUrl: string;
  killOne: boolean;
  digest: boolean;
}): Promise<MultiRun> {
  const fakes = await startFakesProcess({ ...MODEL, answer: ANSWER });
  const root = mkdtempSync(join(tmpdir(), 'deb-bench-multi-'));
  const digestAt = options.digest ? digestMinute(45_000) : undefined;
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    SLACK_BOT_TOKEN: '',
    SLACK_CLIENT_ID: FAKE_APP.clientId,
    SLACK_CLIENT_SECRET: FAKE_APP.clientSecret,
    SLACK_STATE_SECRET: `bench-state-${randomBytes(12).toString('hex')}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    MAX_CONCURRENT_GENERATIONS: String(GENERATIONS_PER_PROCESS),
    ANTHROPIC_RETRY_DEADLINE_SECONDS: '300',
    JOB_LEASE_SECONDS: '15',
    SANDBOX_ENABLED: 'false',
    DIGEST_TIME: digestAt?.time ?? digestNever(),
    DIGEST_TIMEZONE: 'UTC',
  };
  let keepLogs = false;
  const instances: Instance[] = [];
  for (let i = 0; i < options.instances; i++) {
    instances.push({ port: await freePort(), metricsPort: await freePort() });
  }
  const start = async (instance: Instance) => {
    instance.bot = await startBotProcess({
      cwd: root,
      slackApiUrl: fakes.slackApiUrl,
      anthropicUrl: fakes.anthropicUrl,
      env: { ...env, METRICS_PORT: String(instance.metricsPort) },
      port: instance.port,
      logFile: join(root, `bot-${instance.port}.log`),
      healthTimeoutMs: 60_000,
    });
  };
  try {
    // Together, as a deployment starts them: the migrations run once, under the advisory lock.
    await Promise.all(instances.map(start));
    const first = instances[0]?.bot as BotProcess;
    for (const workspace of WORKSPACES) await install(fakes, first, workspace);
    const tasks = await buildTasks(fakes, options.tasks, options.channels);
    const lb = new RoundRobin(instances.map((i) => `http://127.0.0.1:${i.port}`));

    const started = now();
    const victim = instances[1];
    const killAfter = Math.floor(options.tasks / 3 / WAVE) * WAVE;
    let kill: MultiRun['kill'];
    let restarting: Promise<void> = Promise.resolve();
    let unacknowledged = 0;
    for (let i = 0; i < tasks.length; i += WAVE) {
      if (options.killOne && victim?.bot && i === killAfter) {
        const answersHeld = await answersHeldBy(options.databaseUrl, victim.bot.child.pid);
        const killedAt = now();
        await victim.bot.kill();
        restarting = sleep(DOWN_MS).then(async () => {
          const restartedAt = now();
          await start(victim);
          kill = {
            instance: 1,
            afterTasks: killAfter,
            answersHeld,
            downSeconds: round((restartedAt - killedAt) / 1000, 1),
            restartSeconds: round((now() - restartedAt) / 1000, 1),
          };
        });
        // Awaited after the sending; marked handled now so a failed restart is reported there, not as
        // an unhandled rejection in the middle of it.
        restarting.catch(() => {});
      }
      await Promise.all(
        tasks.slice(i, i + WAVE).map(async (task) => {
          const ack = await lb.deliver(task.body, task.contentType);
          task.ackedAt = ack?.at;
          task.ackMs = ack?.ms;
          if (!ack) unacknowledged += 1;
        }),
      );
      await sleep(WAVE_PAUSE_MS);
    }

    // Follow-ups: one reply in the thread of each mention of the first wave, once its answer is
    // complete (a reply to an answer still queued joins that answer's run and gets no answer of its own).
    const followed = tasks.slice(0, options.channels).filter((t) => t.kind === 'mention' && t.ackedAt);
    const followUpDeadline = Date.now() + DRAIN_TIMEOUT_MS;
    const pending = new Set(followed);
    while (pending.size > 0 && Date.now() < followUpDeadline) {
      const record = await control<FakesRecord>(fakes, '/record');
      const seconds = Math.floor(Date.now() / 1000) + 1;
      await Promise.all(
        [...pending]
          .filter((t) => completeAnswers(record, t.channel, t.mentionTs ?? '') >= 1)
          .map(async (task) => {
            pending.delete(task);
            task.followUpAckedAt = (await lb.deliver(followUpBody(task, seconds), 'application/json'))?.at;
            if (task.followUpAckedAt === undefined) unacknowledged += 1;
          }),
      );
      if (pending.size > 0) await sleep(1_000);
    }
    await restarting;

    // Drain: until every acknowledged task and follow-up has a complete answer.
    const expected =
      tasks.filter((t) => t.ackedAt !== undefined).length +
      tasks.filter((t) => t.followUpAckedAt !== undefined).length;
    let finished = now();
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const { completeAnswers: done } = await control<{ completeAnswers: number }>(fakes, '/progress');
      finished = now();
      if (done >= expected) break;
      await sleep(250);
    }
    const seconds = (finished - started) / 1000;
    await sleep(SETTLE_MS);
    if (digestAt) await waitForDigests(fakes, digestAt.at, options.channels);

    const record = await control<FakesRecord>(fakes, '/record');
    const verdict = verify(record, tasks);
    const runs = digestAt ? await digestRuns(instances) : { runs: {}, perInstance: [] };
    return {
      instances: options.instances,
      tasks: options.tasks,
      followUps: tasks.filter((t) => t.followUpAckedAt !== undefined).length,
      unacknowledged,
      lbRetries: lb.retries,
      answersPerMinute: Math.round((expected / seconds) * 60),
      ackMs: summarise(tasks.flatMap((t) => (t.ackMs === undefined ? [] : [t.ackMs]))),
      queueLagMs: summarise(verdict.lags),
      lost: verdict.lost,
      duplicated: verdict.duplicated,
      leftovers: verdict.leftovers,
      seconds: round(seconds, 1),
      ...(kill ? { kill } : {}),
      ...(digestAt ? { digests: { ...digestVerdict(record, tasks, digestAt.at), ...runs } } : {}),
    };
  } catch (error) {
    keepLogs = true;
    throw error;
  } finally {
    await Promise.all(instances.map((i) => i.bot?.stop()));
    await fakes.stop();
    if (keepLogs || process.env.BENCH_KEEP_LOGS === '1')
      console.error(`multi-instance: the bots' logs are in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

/** Waits until the digest minute has passed and every channel's digest is posted (or 90 s more went by). */
async function waitForDigests(fakes: FakesProcess, at: number, channels: number): Promise<void> {
  const until = at + 90_000;
  while (Date.now() < until) {
    if (Date.now() > at + 2_000) {
      const record = await control<FakesRecord>(fakes, '/record');
      const posted = new Set(record.messages.filter(isDigest).map((m) => m.channel));
      if (posted.size >= channels) {
        await sleep(SETTLE_MS);
        return;
      }
    }
    await sleep(1_000);
  }
}

function isDigest(m: FakesRecord['messages'][number]): boolean {
  return !m.thread_ts && (m.text ?? '').startsWith(DIGEST_PREFIX);
}

function completeAnswers(record: FakesRecord, channel: string, root: string): number {
  return record.messages.filter(
    (m) => m.channel === channel && m.thread_ts === root && m.ts !== root && m.completeAnswer,
  ).length;
}

/**
 * Per acknowledged task, from the fake Slack's record: its thread (a mention's own ts; a command's
 * parent post, found by the task's marker), the bot's replies in it, and the time of its first write.
 */
function verify(record: FakesRecord, tasks: Task[]) {
  let lost = 0;
  let duplicated = 0;
  let leftovers = 0;
  const lags: number[] = [];
  for (const task of tasks) {
    if (task.ackedAt === undefined) continue;
    let root = task.mentionTs;
    if (task.kind === 'command') {
      const parents = record.messages.filter(
        (m) => m.channel === task.channel && !m.thread_ts && m.text?.includes(task.marker),
      );
      duplicated += Math.max(0, parents.length - 1);
      root = parents[0]?.ts;
    }
    const expected = task.followUpAckedAt === undefined ? 1 : 2;
    if (!root) {
      lost += expected;
      continue;
    }
    const replies = record.messages.filter(
      (m) => m.channel === task.channel && m.thread_ts === root && m.ts !== root,
    );
    const complete = replies.filter((m) => m.completeAnswer).length;
    const prompts = replies.filter((m) => m.feedbackPrompt).length;
    lost += Math.max(0, expected - complete);
    duplicated += Math.max(0, complete - expected) + Math.max(0, prompts - expected);
    leftovers += replies.length - complete - prompts;
    const writes = record.writes.filter(
      (w) =>
        w.channel === task.channel &&
        (w.thread_ts === root || w.ts === root || (task.kind === 'command' && w.text?.includes(task.marker))),
    );
    const firstWrite = Math.min(...writes.map((w) => w.atEpochMs));
    if (Number.isFinite(firstWrite)) lags.push(Math.max(0, firstWrite - task.ackedAt));
  }
  return { lost, duplicated, leftovers, lags };
}

/** Each channel with a task acknowledged before the digest's minute must have exactly one digest. */
function digestVerdict(
  record: FakesRecord,
  tasks: Task[],
  at: number,
): Omit<NonNullable<MultiRun['digests']>, 'runs' | 'perInstance'> {
  const active = new Set(
    tasks.filter((t) => t.ackedAt !== undefined && t.ackedAt < at).map((t) => t.channel),
  );
  const posted = new Map<string, number>();
  for (const m of record.messages.filter(isDigest)) posted.set(m.channel, (posted.get(m.channel) ?? 0) + 1);
  let once = 0;
  let missing = 0;
  let duplicated = 0;
  for (const channel of active) {
    const n = posted.get(channel) ?? 0;
    if (n === 1) once += 1;
    else if (n === 0) missing += 1;
    else duplicated += n - 1;
  }
  const extra = [...posted.keys()].filter((c) => !active.has(c)).length;
  return { channelsWithActivity: active.size, once, missing, duplicated, extra };
}

export function printMultiInstanceBench(r: MultiInstanceResult): void {
  if ('skipped' in r) {
    console.log(`(l) multi-instance: skipped: ${r.skipped}\n`);
    return;
  }
  console.log(
    `(l) multi-instance: ${r.three.tasks} tasks (commands and mentions) + follow-ups across 50 channels of 2 workspaces, ${r.postgres}, model ${r.model.firstTokenDelayMs} ms to first token then ${r.model.tokensPerSecond} tokens/s, MAX_CONCURRENT_GENERATIONS=${r.generationsPerProcess} per process`,
  );
  console.log(
    table(
      [r.three, r.one].map((run) => ({
        run:
          run.instances === 1
            ? '1 process'
            : `${run.instances} processes, one SIGKILLed after ${run.kill?.afterTasks ?? '?'} tasks`,
        'answers/min': run.answersPerMinute,
        'ack p99': run.ackMs.p99,
        'queue lag p50': run.queueLagMs.p50,
        'queue lag p99': run.queueLagMs.p99,
        'lag max': run.queueLagMs.max,
        'LB retries': run.lbRetries,
        unacked: run.unacknowledged,
        lost: run.lost,
        duplicated: run.duplicated,
        leftovers: run.leftovers,
        seconds: run.seconds,
      })),
    ),
  );
  const d = r.three.digests;
  const k = r.three.kill;
  console.log(
    `throughput 3 processes / 1: ${r.throughputRatio}; the killed process held ${k?.answersHeld ?? '?'} answers, was down ${k?.downSeconds ?? '?'} s and healthy again ${k?.restartSeconds ?? '?'} s after its restart; follow-ups ${r.three.followUps}`,
  );
  const runs = Object.entries(d?.runs ?? {})
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(', ');
  console.log(
    `digests: ${d?.once}/${d?.channelsWithActivity} channels with activity got exactly one; missing ${d?.missing}, duplicated ${d?.duplicated}, in channels without activity ${d?.extra} (target: once each); the instances' digest runs: ${runs || 'none counted'} (per instance: ${d?.perInstance.join(', ')})`,
  );
  console.log(
    `lost ${r.three.lost + r.one.lost}, duplicated ${r.three.duplicated + r.one.duplicated} (target 0 and 0); queue lag = ack → first Slack write for the task\n`,
  );
}

/** Whether the run met the bar: nothing lost or duplicated, every digest once. */
export function multiInstanceMet(r: MultiInstanceResult): boolean {
  if ('skipped' in r) return false;
  const d = r.three.digests;
  return (
    r.three.lost + r.three.duplicated + r.one.lost + r.one.duplicated + r.three.unacknowledged === 0 &&
    d !== undefined &&
    d.missing + d.duplicated + d.extra === 0 &&
    d.once === d.channelsWithActivity
  );
}
