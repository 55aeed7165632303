import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { type Harness, startHarness } from '../support/harness.js';
import { until } from '../support/wait.js';

const ANSWER = dataEngineeringAnswer('Graceful stop');

describe('graceful stop', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  const replies = () => h.slack.messages.filter((m) => m.thread_ts && m.thread_ts !== m.ts);

  it('reports draining, takes no new work, and lets the answer in progress finish within the grace period', async () => {
    h = await startHarness();
    h.anthropic.script(textReply(ANSWER, { firstTokenDelayMs: 300 }));
    await h.command('design a pipeline');
    await until(() => h.anthropic.requests.length === 1);
    const url = h.app.url;
    const stopping = h.app.stop({ graceMs: 10_000 });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'draining' });
    const refused = await h.command('another task');
    expect(refused.status).toBe(503); // Slack shows its own error; no task is half-taken
    await stopping;
    expect(replies()).toHaveLength(1);
    expect(replies()[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
    expect(h.query('select status from tasks')).toEqual([{ status: 'done' }]);
    expect(h.query('select id from jobs')).toEqual([]);
  });

  it('after the grace period leaves the unfinished answer queued, and the next start answers it once', async () => {
    h = await startHarness();
    h.anthropic.script({
      kind: 'message',
      content: [{ type: 'text', text: 'never sent' }],
      gate: new Promise(() => {}),
    });
    await h.command('design a pipeline');
    await until(() => h.anthropic.requests.length === 1);
    await h.app.stop({ graceMs: 100 });
    expect(h.query('select state, lease_owner from jobs')).toEqual([{ state: 'queued', lease_owner: null }]);
    h.anthropic.setDefault(textReply(ANSWER));
    await h.restart();
    await h.app.idle();
    expect(replies()).toHaveLength(1);
    expect(replies()[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
    expect(h.query('select status from tasks')).toEqual([{ status: 'done' }]);
  });
});
