import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createPromMetrics } from '../../src/metrics/prom-metrics.js';

const silentLogger = () => createLogger({ level: 'error', sink: () => {} });

const QUEUE = { queued: 2, running: 1, waiting: 3, oldestReadyAgeMs: 4_500 };

/** The sample lines of one metric. */
const lines = (text: string, name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`));

describe('PromMetrics', () => {
  it('keeps labels bounded: malformed or excess Slack codes, unknown tools and models become other/unknown', async () => {
    const metrics = await createPromMetrics({ queueStats: async () => QUEUE }, silentLogger(), ['claude-x']);
    for (let i = 0; i < 300; i++) metrics.slackCall('chat.postMessage', `code_${i}`);
    metrics.slackCall('chat.postMessage', 'Not A Code <@U0ABCDEF1>');
    metrics.slackCall('C0SECRET1 chat', 'ratelimited');
    metrics.toolCalled('run_sql');
    metrics.toolCalled('design a pipeline for ana@example.com');
    for (let i = 0; i < 50; i++) metrics.modelError(`model-${i}`, '529');
    const text = await metrics.scrape();
    const errors = lines(text, 'deb_slack_api_errors_total');
    const codes = new Set(errors.map((line) => /code="([^"]*)"/.exec(line)?.[1]));
    expect(codes.size).toBeLessThanOrEqual(201);
    expect(errors.some((line) => line.includes('code="other"'))).toBe(true);
    expect(text).not.toContain('U0ABCDEF1');
    expect(text).not.toContain('C0SECRET1');
    expect(lines(text, 'deb_slack_api_calls_total').some((line) => line.includes('method="other"'))).toBe(
      true,
    );
    expect(lines(text, 'deb_tool_calls_total')).toEqual([
      'deb_tool_calls_total{tool="run_sql"} 1',
      'deb_tool_calls_total{tool="unknown"} 1',
    ]);
    expect(text).not.toContain('ana@example.com');
    // The configured model plus at most 19 others, then `other`.
    const models = new Set(
      lines(text, 'deb_model_errors_total').map((line) => /model="([^"]*)"/.exec(line)?.[1]),
    );
    expect(models.size).toBeLessThanOrEqual(21);
    expect(models.has('other')).toBe(true);
  });

  it('reads the queue at each scrape, and drops its series (no stale figure) when the store cannot answer', async () => {
    let failing = false;
    const metrics = await createPromMetrics(
      { queueStats: async () => (failing ? Promise.reject(new Error('database is locked')) : QUEUE) },
      silentLogger(),
      [],
    );
    const text = await metrics.scrape();
    expect(lines(text, 'deb_queue_jobs')).toEqual([
      'deb_queue_jobs{state="queued"} 2',
      'deb_queue_jobs{state="running"} 1',
      'deb_queue_jobs{state="waiting"} 3',
    ]);
    expect(text).toContain('deb_queue_oldest_ready_age_seconds 4.5');
    failing = true;
    const after = await metrics.scrape();
    expect(lines(after, 'deb_queue_jobs')).toEqual([]);
    expect(after).not.toContain('deb_queue_oldest_ready_age_seconds 4.5');
    expect(after).toContain('deb_slack_acks_total');
  });
});
