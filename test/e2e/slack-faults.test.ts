import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { type Harness, startHarness } from '../support/harness.js';
import { until } from '../support/wait.js';

describe('Slack faults', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('waits out a 429 on one channel without holding up another channel’s answer, and posts once', async () => {
    h = await startHarness();
    h.slack.addChannel('C0AAAAAA1', { member: true });
    h.slack.addChannel('C0BBBBBB1', { member: true });
    h.anthropic.setDefault(textReply(dataEngineeringAnswer()));
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 2 });
    await h.command('design a pipeline for A', { channel_id: 'C0AAAAAA1' });
    await h.command('design a pipeline for B', { channel_id: 'C0BBBBBB1' });
    await h.app.idle();
    const posts = h.slack.messages.filter((m) => m.bot_id);
    const parentA = posts.findIndex((m) => m.channel === 'C0AAAAAA1' && !m.thread_ts);
    const answerB = posts.findIndex((m) => m.channel === 'C0BBBBBB1' && m.thread_ts);
    expect(answerB).toBeGreaterThanOrEqual(0);
    expect(parentA).toBeGreaterThan(answerB); // B was answered while A waited for Slack's Retry-After
    expect(posts.filter((m) => m.channel === 'C0AAAAAA1' && !m.thread_ts)).toHaveLength(1);
    expect(posts.filter((m) => m.thread_ts && m.thread_ts !== m.ts)).toHaveLength(2);
    expect(h.query<{ status: string }>('select status from tasks').map((t) => t.status)).toEqual([
      'done',
      'done',
    ]);
  });

  it('never repeats a post after a 5xx (it may have landed) but retries a read', async () => {
    h = await startHarness({
      tuning: { slackCallPolicy: { rateLimitWaits: 3, transientRetries: 2, baseDelayMs: 10 } },
    });
    h.slack.addChannel('C0AAAAAA1', { member: true });
    h.slack.failNext('chat.postMessage', { status: 500 });
    await h.command('design a pipeline', { channel_id: 'C0AAAAAA1' });
    // Not repeated by the call: it may have landed. The job fails instead, and its retry looks for the
    // parent by its metadata key (conversations.history) before posting it.
    await until(() => h.query<{ status: string }>('select status from tasks')[0]?.status === 'done', 15_000);
    const history = h.slack.callsTo('conversations.history');
    const secondPost = h.slack.callsTo('chat.postMessage')[1];
    expect(history.length).toBeGreaterThanOrEqual(1);
    expect(history[0]?.at).toBeLessThan(secondPost?.at ?? 0);
    const parents = h.slack.messages.filter((m) => m.channel === 'C0AAAAAA1' && m.bot_id && !m.thread_ts);
    expect(parents).toHaveLength(1);

    // A read is safe to repeat: the admin check survives one 5xx.
    h.slack.addUser({ id: 'U0ADMIN01', is_admin: true });
    h.slack.addUser({ id: 'U0SAM0001' });
    h.slack.failNext('users.info', { status: 500 });
    await h.command('owners set security <@U0SAM0001>', { user_id: 'U0ADMIN01', channel_id: 'C0AAAAAA1' });
    await h.app.idle();
    expect(h.slack.callsTo('users.info').length).toBeGreaterThanOrEqual(3);
    expect(h.query('select role from owners')).toEqual([{ role: 'security' }]);
  });
});
