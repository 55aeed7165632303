import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { FAKE_BOT_USER_ID, FAKE_TEAM_ID } from '../../test/support/fake-slack.js';
import { TEST_SECRETS } from '../../test/support/harness.js';
import { eventEnvelope, signSlackRequest, slashCommandBody } from '../../test/support/slack-signing.js';
import { startBareBolt } from '../bare-bolt.js';
import { startFakesProcess } from '../fakes-process.js';
import { percentile, round, type Summary, summarise } from '../stats.js';

/** Rounds per target; the ratio is the median of the rounds' (a shared 2-core machine is noisy). */
const ROUNDS = 21;
/** Full-size bursts per target before measuring: JIT, a keep-alive connection per request, SQLite's caches. */
const WARM_UP_BURSTS = 2;

/** What is acknowledged: slash commands (form-encoded) or `app_mention` events (JSON). */
export type AckKind = 'commands' | 'events';

export interface AckResult {
  kind: AckKind;
  concurrency: number;
  rounds: number;
  roundP99Ratios: number[];
  bot: Summary;
  bareBolt: Summary;
  p99Ratio: number;
  non200: number;
}

/** Commands sent so far in this process: each from its own person. */
let commandsSent = 0;
let mentions = 0;

/**
 * A new `app_mention` in its own message (each one starts a task), as the Events API delivers it.
 * Each from its own person, as the commands are: from one person, all but USER_TASKS_PER_HOUR of them
 * would be refused (a private note, nothing stored), and the bench would not measure the durable path.
 */
function mentionBody(i: number): string {
  mentions += 1;
  const ts = `${1_800_000_000 + mentions}.${String(i).padStart(6, '0')}`;
  return eventEnvelope({
    type: 'app_mention',
    channel: 'C0BENCHACK',
    user: `U0BENCH${String(mentions).padStart(6, '0')}`,
    text: `<@${FAKE_BOT_USER_ID}> design pipeline number ${i}`,
    ts,
  });
}

/** Fires `count` signed requests at once and returns each one's time to HTTP response, in ms. */
async function burst(
  url: string,
  count: number,
  responseUrl: () => string,
  kind: AckKind,
): Promise<{ ms: number[]; non200: number }> {
  const contentType = kind === 'events' ? 'application/json' : 'application/x-www-form-urlencoded';
  const requests = Array.from({ length: count }, (_, i) => {
    const body =
      kind === 'events'
        ? mentionBody(i)
        : slashCommandBody({
            text: `design pipeline number ${i}`,
            team_id: FAKE_TEAM_ID,
            // A new person for every command of every burst (as for mentions): USER_TASKS_PER_HOUR is
            // checked, never reached, so every measured command is stored and synced, none refused.
            user_id: `U0BC${String(commandsSent++).padStart(7, '0')}`,
            response_url: responseUrl(),
          });
    return { body, headers: signSlackRequest(TEST_SECRETS.signingSecret, body) };
  });
  let non200 = 0;
  const ms = await Promise.all(
    requests.map(async ({ body, headers }) => {
      const sentAt = performance.now();
      const response = await fetch(`${url}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': contentType, ...headers },
        body,
      });
      await response.arrayBuffer();
      if (response.status !== 200) non200 += 1;
      return performance.now() - sentAt;
    }),
  );
  return { ms, non200 };
}

/**
 * (a) ack latency: 200 concurrent slash commands (or `app_mention` events) against the bot (which
 * persists each task, commits it to disk and only then acks, and starts answering it) and against a
 * bare Bolt app that only acks, in the same process and run. The fakes the bot talks to run in a
 * child process.
 */
export async function ackScenario(concurrency = 200, kind: AckKind = 'commands'): Promise<AckResult> {
  // A model at realistic speed: first token after 400 ms, then 80 tokens/s.
  const fakes = await startFakesProcess({ firstTokenDelayMs: 400, tokensPerSecond: 80 });
  const dir = mkdtempSync(join(tmpdir(), 'deb-bench-ack-'));
  const parsed = parseConfig({
    SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
    SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
    SLACK_API_URL: fakes.slackApiUrl,
    ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
    ANTHROPIC_BASE_URL: fakes.anthropicUrl,
    DATABASE_PATH: join(dir, 'bot.db'),
    PORT: '0',
    HOST: '127.0.0.1',
    // `BENCH_METRICS=1 npm run bench -- ack`: the same with the Prometheus metrics on (acks timed).
    ...(process.env.BENCH_METRICS === '1' ? { METRICS_PORT: '0' } : {}),
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const bot = await startApp(parsed.config, createLogger({ level: 'warn', sink: () => {} }));
  const bare = await startBareBolt(TEST_SECRETS.signingSecret);
  // Commands are acked before response_url is ever used; any URL will do.
  const responseUrl = () => `${fakes.slackApiUrl}../response/unused`;
  try {
    // Warm both up (JIT, sockets, SQLite statement cache), then measure in rounds, alternating which
    // goes first, because a shared 2-core machine is noisy; the ratio is the median of the rounds'.
    for (let i = 0; i < WARM_UP_BURSTS; i++) {
      await burst(bare.url, concurrency, responseUrl, kind);
      await burst(bot.url, concurrency, responseUrl, kind);
    }
    const botMs: number[] = [];
    const bareMs: number[] = [];
    const ratios: number[] = [];
    let non200 = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [bare.url, bot.url] : [bot.url, bare.url];
      const runs = new Map<string, Awaited<ReturnType<typeof burst>>>();
      for (const url of order) runs.set(url, await burst(url, concurrency, responseUrl, kind));
      const bareRun = runs.get(bare.url);
      const botRun = runs.get(bot.url);
      if (!bareRun || !botRun) throw new Error('missing run');
      bareMs.push(...bareRun.ms);
      botMs.push(...botRun.ms);
      ratios.push(percentile(botRun.ms, 99) / percentile(bareRun.ms, 99));
      non200 += botRun.non200 + bareRun.non200;
    }
    return {
      kind,
      concurrency,
      rounds: ROUNDS,
      bot: summarise(botMs),
      bareBolt: summarise(bareMs),
      roundP99Ratios: ratios.map((r) => round(r)),
      p99Ratio: round(percentile(ratios, 50)),
      non200,
    };
  } finally {
    await bare.close();
    // Answers at model speed would take minutes; stop without waiting for them.
    await bot.stop({ graceMs: 0 });
    await fakes.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
