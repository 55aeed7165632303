import { performance } from 'node:perf_hooks';
import { FAKE_TEAM_ID } from '../../test/support/fake-slack.js';
import { startHarness, TEST_SECRETS } from '../../test/support/harness.js';
import { signSlackRequest, slashCommandBody } from '../../test/support/slack-signing.js';
import { startBareBolt } from '../bare-bolt.js';
import { round, type Summary, summarise } from '../stats.js';

export interface AckResult {
  concurrency: number;
  bot: Summary;
  bareBolt: Summary;
  p99Ratio: number;
  non200: number;
}

/** Fires `count` signed slash commands at once and returns each one's time to HTTP response, in ms. */
async function burst(
  url: string,
  count: number,
  responseUrl: () => string,
): Promise<{ ms: number[]; non200: number }> {
  const requests = Array.from({ length: count }, (_, i) => {
    const body = slashCommandBody({
      text: `design pipeline number ${i}`,
      team_id: FAKE_TEAM_ID,
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
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
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
 * (a) ack latency: 200 concurrent slash commands against the bot (which persists each task and starts
 * answering it) and against a bare Bolt app that only acks, in the same process and run.
 */
export async function ackScenario(concurrency = 200): Promise<AckResult> {
  const h = await startHarness({
    env: { LOG_LEVEL: 'warn', MAX_CONCURRENT_GENERATIONS: '64' },
    tuning: { slackMinWriteIntervalMs: 1000 },
  });
  const bare = await startBareBolt(TEST_SECRETS.signingSecret);
  try {
    const responseUrl = () => h.slack.responseUrl();
    // Warm both up (JIT, sockets, SQLite statement cache), then measure alternately.
    await burst(bare.url, 20, responseUrl);
    await burst(h.app.url, 20, responseUrl);
    await h.app.idle();
    const bareRun = await burst(bare.url, concurrency, responseUrl);
    const botRun = await burst(h.app.url, concurrency, responseUrl);
    await h.app.idle();
    const bot = summarise(botRun.ms);
    const bareBolt = summarise(bareRun.ms);
    return {
      concurrency,
      bot,
      bareBolt,
      p99Ratio: round(bot.p99 / bareBolt.p99),
      non200: botRun.non200 + bareRun.non200,
    };
  } finally {
    await bare.close();
    await h.close();
  }
}
