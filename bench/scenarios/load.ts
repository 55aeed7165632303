import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Reply, startFakeAnthropic, textReply } from '../../test/support/fake-anthropic.js';
import { FAKE_TEAM_ID, startFakeSlack } from '../../test/support/fake-slack.js';
import { isFeedbackPrompt } from '../../test/support/feedback.js';
import { TEST_SECRETS } from '../../test/support/harness.js';
import { rng } from '../../test/support/seeded-random.js';
import { postSigned, slashCommandBody } from '../../test/support/slack-signing.js';
import { startBotProcess } from '../bot-process.js';
import { type Summary, summarise } from '../stats.js';

/** About 1,200 characters: an answer of ~300 tokens, streamed at a realistic 80 tokens/s (~4 s). */
const ANSWER = [
  '## Data Engineering Solution: Orders ingestion',
  '### Data Architecture',
  '- `raw.orders` append-only, partitioned by ingestion date; `curated.orders` merged by order_id.',
  '- Storage: object store (Parquet) for raw, warehouse tables for curated, 400 days retention.',
  '- Processing: hourly incremental batches with a watermark on updated_at.',
  '### Implementation Plan',
  '- Airflow DAG: extract → validate → merge → publish; each step idempotent.',
  '- Targets: data fresh within 90 minutes; dashboard queries under 2 s via a daily rollup.',
  '### Quality Assurance',
  '- Validation: order_id unique, amount ≥ 0, currency in ISO 4217, null rate of customer_id < 0.1%.',
  '- Monitoring: row-count reconciliation per batch, freshness alert after 2 hours.',
  '- Recovery: replay any partition from raw; merges are idempotent.',
  '### Code/Configuration',
  '```sql',
  'MERGE INTO curated.orders t USING staging.orders s ON t.order_id = s.order_id',
  'WHEN MATCHED AND s.updated_at > t.updated_at THEN UPDATE SET *',
  'WHEN NOT MATCHED THEN INSERT *;',
  '```',
].join('\n');

export interface LoadResult {
  tasks: number;
  channels: number;
  faults: boolean;
  /** Answers completed per minute, from the first command to the last answer. */
  throughputPerMinute: number;
  ackMs: Summary;
  peakRssMb: number;
  lost: number;
  duplicated: number;
  seconds: number;
}

/**
 * (f) load: 500 tasks across 50 channels against the built bot as a child process, with the fake
 * model streaming at a realistic speed; optionally with the fault rates of the fault-injection test
 * (Claude 529 on 30% of calls and broken streams on 10%, Slack 429 on 20%). Lost = a task without one
 * complete answer; duplicated = a thread with more than one answer, or an answer twice in it.
 */
export async function loadScenario(options: {
  tasks: number;
  channels: number;
  faults: boolean;
}): Promise<LoadResult> {
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  const random = rng(options.faults ? 20261127 : 1);
  anthropic.setDefault((): Reply => {
    const roll = random();
    if (options.faults && roll < 0.3) return { kind: 'error', status: 529, type: 'overloaded_error' };
    if (options.faults && roll < 0.4) {
      return {
        kind: 'message',
        content: [{ type: 'text', text: ANSWER }],
        tokensPerSecond: 80,
        midStreamError: { afterChars: 100 + Math.floor(random() * 800) },
      };
    }
    return textReply(ANSWER, { tokensPerSecond: 80, firstTokenDelayMs: 300 });
  });
  if (options.faults) slack.injectRateLimits(0.2, rng(429));
  const channels = Array.from({ length: options.channels }, (_, i) => `C0LOAD${String(i).padStart(3, '0')}`);
  for (const channel of channels) slack.addChannel(channel, { member: true });
  const dir = mkdtempSync(join(tmpdir(), 'deb-bench-load-'));
  const bot = await startBotProcess({
    cwd: dir,
    slackApiUrl: slack.apiUrl,
    anthropicUrl: anthropic.url,
    env: { MAX_CONCURRENT_GENERATIONS: '64', ANTHROPIC_RETRY_DEADLINE_SECONDS: '300' },
  });
  try {
    const started = performance.now();
    const acks: number[] = [];
    // Commands arrive in waves of 50, as a busy workspace would send them.
    for (let i = 0; i < options.tasks; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, options.tasks - i) }, async (_, j) => {
          const channel = channels[(i + j) % channels.length] as string;
          const sent = performance.now();
          const response = await postSigned(
            `${bot.url}/slack/events`,
            slashCommandBody({
              text: `design ingestion ${i + j}`,
              team_id: FAKE_TEAM_ID,
              channel_id: channel,
              // One person per task: USER_TASKS_PER_HOUR is checked on every ack, never reached.
              user_id: `U0LOAD${String(i + j).padStart(4, '0')}`,
              response_url: slack.responseUrl(),
            }),
            { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
          );
          if (response.status === 200) acks.push(response.receivedAt - sent);
        }),
      );
    }
    const db = new Database(join(dir, 'bot.db'), { readonly: true });
    const finished = () =>
      (
        db.prepare("select count(*) as n from tasks where status in ('done', 'failed')").get() as {
          n: number;
        }
      ).n;
    const deadline = Date.now() + 10 * 60_000;
    while (finished() < options.tasks && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const seconds = (performance.now() - started) / 1000;
    db.close();
    const memory = bot.memoryMb();

    let lost = 0;
    let duplicated = 0;
    const parents = slack.messages.filter((m) => m.bot_id && !m.thread_ts);
    lost += Math.max(0, options.tasks - new Set(parents.map((p) => p.text)).size);
    duplicated += parents.length - new Set(parents.map((p) => p.text)).size;
    for (const parent of parents) {
      const replies = slack.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
      // An answer that could not carry its 👍/👎 buttons (posted and edited, not streamed) gets them in a
      // small message of its own: not an answer. Two of those in one thread would still be a duplicate.
      const answers = replies.filter((m) => !isFeedbackPrompt(m));
      const prompts = replies.length - answers.length;
      const complete = answers.filter((m) => m.markdown_text?.trim() === ANSWER.trim());
      if (complete.length === 0) lost += 1;
      if (answers.length > 1 || prompts > 1) duplicated += 1;
    }
    return {
      tasks: options.tasks,
      channels: options.channels,
      faults: options.faults,
      throughputPerMinute: Math.round((options.tasks / seconds) * 60),
      ackMs: summarise(acks),
      peakRssMb: memory.peak,
      lost,
      duplicated,
      seconds: Math.round(seconds * 10) / 10,
    };
  } finally {
    await bot.stop();
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
