import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { type Harness, startHarness } from '../support/harness.js';

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
    await h.app.idle();
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1); // not repeated: it may have landed
    expect(
      h.query<{ status: string; failure_reason: string }>('select status, failure_reason from tasks')[0],
    ).toEqual({
      status: 'failed',
      failure_reason: 'slack_http_500',
    });
    expect(h.slack.responses.at(-1)?.body).toMatchObject({ response_type: 'ephemeral' });

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
