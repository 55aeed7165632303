import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, sqlToolRound, textReply } from '../support/fake-anthropic.js';
import { FAKE_TEAM_ID } from '../support/fake-slack.js';
import { FAKE_APP_TOKEN } from '../support/fake-socket-mode/index.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { slashCommandBody } from '../support/slack-signing.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const CHANNEL = 'C0SECRETC1';
const OTHER_CHANNEL = 'C0SECRETC2';
const USER = 'U0SECRETU1';
/** A task text no label may ever carry. */
const TASK_TEXT = 'design a pipeline for zebraquokka-7731 events';
const MODEL = 'claude-sonnet-5-5';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format (0.0.4), sample lines only. */
function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key as string] = value as string;
      }
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** The value of the one sample with this name and (at least) these labels; 0 when there is none. */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.reduce((sum, s) => sum + s.value, 0);
}

/** GET /metrics with this bearer token (null: none). */
async function scrape(h: Harness, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${h.app.metricsUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

describe('Prometheus metrics', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('counts acks, answers, tokens, tool calls, a model 529, a Slack 429 and a Slack error, with no ids or task text in any label', async () => {
    h = await startHarness({ env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
    h.slack.addChannel(CHANNEL, { member: true });
    h.slack.addChannel(OTHER_CHANNEL, { member: true });

    // 1. Claude is overloaded once (HTTP 529), then calls run_sql, then answers; Slack rate-limits the parent post once.
    h.anthropic.script(
      { kind: 'error', status: 529, type: 'overloaded_error' },
      sqlToolRound('select 42 as answer', 'check the sum'),
      textReply(dataEngineeringAnswer()),
    );
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    expect((await h.command(TASK_TEXT, { user_id: USER, channel_id: CHANNEL })).status).toBe(200);
    await h.app.idle();
    // 2. Claude refuses the request (400): the answer fails.
    h.anthropic.script({ kind: 'error', status: 400, type: 'invalid_request_error' });
    await h.command(`${TASK_TEXT} again`, { user_id: USER, channel_id: CHANNEL });
    await h.app.idle();
    // 3. Slack cannot find the channel of a third task's parent post.
    h.slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await h.command(`${TASK_TEXT} elsewhere`, { user_id: USER, channel_id: OTHER_CHANNEL });
    await h.app.idle();
    // 4. An Events API delivery.
    expect(
      (await h.event({ type: 'app_home_opened', user: USER, channel: 'D0SECRETD1', tab: 'home' })).status,
    ).toBe(200);
    await h.app.idle();

    const response = await scrape(h);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const samples = parseSamples(text);

    expect(sampleValue(samples, 'deb_slack_acks_total', { kind: 'command', outcome: 'ok' })).toBe(3);
    expect(
      sampleValue(samples, 'deb_slack_ack_duration_seconds_count', { kind: 'command', outcome: 'ok' }),
    ).toBe(3);
    expect(sampleValue(samples, 'deb_slack_acks_total', { kind: 'event', outcome: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'deb_answers_total', { outcome: 'completed' })).toBe(1);
    expect(sampleValue(samples, 'deb_answers_total', { outcome: 'failed' })).toBe(1);
    expect(sampleValue(samples, 'deb_model_errors_total', { model: MODEL, status: '529' })).toBe(1);
    expect(sampleValue(samples, 'deb_model_errors_total', { model: MODEL, status: 'other' })).toBe(1);
    expect(sampleValue(samples, 'deb_model_retries_total', { model: MODEL, layer: 'stream' })).toBe(1);
    // The conversation is written to the prompt cache (automatic caching), then read from it.
    expect(
      sampleValue(samples, 'deb_model_tokens_total', { model: MODEL, kind: 'cache_write' }),
    ).toBeGreaterThan(0);
    expect(
      sampleValue(samples, 'deb_model_tokens_total', { model: MODEL, kind: 'cache_read' }),
    ).toBeGreaterThan(0);
    expect(sampleValue(samples, 'deb_model_tokens_total', { model: MODEL, kind: 'output' })).toBeGreaterThan(
      0,
    );
    // Two rounds of the answer (the tool call, then the text), each timed to its end.
    expect(
      sampleValue(samples, 'deb_model_request_duration_seconds_count', { model: MODEL, outcome: 'ok' }),
    ).toBe(2);
    expect(
      sampleValue(samples, 'deb_model_time_to_first_token_seconds_count', { model: MODEL }),
    ).toBeGreaterThan(0);
    expect(sampleValue(samples, 'deb_tool_calls_total', { tool: 'run_sql' })).toBe(1);
    const postMessage = { method: 'chat.postMessage' };
    expect(sampleValue(samples, 'deb_slack_api_errors_total', { ...postMessage, code: 'ratelimited' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'deb_slack_api_retries_total', { ...postMessage, reason: 'rate_limited' }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'deb_slack_api_errors_total', { ...postMessage, code: 'channel_not_found' }),
    ).toBe(1);
    expect(sampleValue(samples, 'deb_slack_api_calls_total', postMessage)).toBe(
      h.slack.callsTo('chat.postMessage').length,
    );
    // The queue, read from the store at scrape time: all done now; three jobs started.
    expect(sampleValue(samples, 'deb_queue_jobs', { state: 'queued' })).toBe(0);
    expect(samples.some((s) => s.name === 'deb_queue_oldest_ready_age_seconds')).toBe(true);
    expect(sampleValue(samples, 'deb_queue_start_delay_seconds_count')).toBe(3);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name.startsWith('nodejs_eventloop_lag'))).toBe(true);

    // Nothing identifying: no workspace, channel or user id, no task text, no secret, anywhere in the scrape.
    for (const forbidden of [
      FAKE_TEAM_ID,
      CHANNEL,
      OTHER_CHANNEL,
      USER,
      'D0SECRETD1',
      'zebraquokka',
      TOKEN,
    ]) {
      expect(text).not.toContain(forbidden);
    }
    for (const secret of Object.values(TEST_SECRETS)) expect(text).not.toContain(secret);
    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    expect(labelValues.filter((v) => /^[TCUDGW][A-Z0-9]{6,}$/.test(v) || v.includes(' '))).toEqual([]);
  });

  it('is served only on its own listener, refuses a scrape without the token, and is off unless METRICS_PORT is set', async () => {
    h = await startHarness({ env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
    expect(h.app.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.app.metricsUrl).not.toBe(h.app.url);
    // The public listener (the one Slack reaches) has no /metrics, with or without the token.
    const onPublic = await fetch(`${h.app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(onPublic.status).toBe(404);
    expect(await onPublic.text()).not.toContain('deb_');
    const without = await scrape(h, null);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toContain('Bearer');
    expect(await without.text()).not.toContain('deb_');
    expect((await scrape(h, `${TOKEN}x`)).status).toBe(401);
    expect((await fetch(`${h.app.metricsUrl}/metrics`, { headers: { authorization: TOKEN } })).status).toBe(
      401,
    );
    expect((await scrape(h)).status).toBe(200);
    // Only /metrics, only reads.
    expect((await fetch(`${h.app.metricsUrl}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(
      404,
    );
    expect((await fetch(`${h.app.metricsUrl}/metrics`, { method: 'POST', body: '' })).status).toBe(405);
    await h.close();

    h = await startHarness();
    expect(h.app.metricsUrl).toBeUndefined();
    expect((await fetch(`${h.app.url}/metrics`)).status).toBe(404);
  });

  it('works the same in Socket Mode: its own listener, acks over the socket counted', async () => {
    h = await startHarness({
      env: { SLACK_APP_TOKEN: FAKE_APP_TOKEN, METRICS_PORT: '0', METRICS_TOKEN: TOKEN },
    });
    h.slack.addChannel(CHANNEL, { member: true });
    h.anthropic.setDefault(textReply(dataEngineeringAnswer()));
    const fields = slashCommandBody({
      text: TASK_TEXT,
      channel_id: CHANNEL,
      user_id: USER,
      response_url: h.slack.responseUrl(),
    });
    await h.slack.socketMode.slashCommand(Object.fromEntries(new URLSearchParams(fields)));
    await h.app.idle();
    expect((await scrape(h, null)).status).toBe(401);
    const samples = parseSamples(await (await scrape(h)).text());
    expect(sampleValue(samples, 'deb_slack_acks_total', { kind: 'command', outcome: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'deb_answers_total', { outcome: 'completed' })).toBe(1);
  });
});
