import { describe, expect, it, vi } from 'vitest';
import { FAKE_BOT_USER_ID, startFakeSlack } from './fake-slack.js';
import {
  CHANNEL,
  client,
  clientFor,
  fake,
  platformError,
  USER,
  useFakeSlack,
} from './fake-slack-test-setup.js';

describe('fake Slack through the real WebClient', () => {
  useFakeSlack();

  it('answers not_in_channel and channel_not_found like Slack', async () => {
    fake.addChannel('C0NOTIN01', { member: false, name: 'analytics' });
    fake.addChannel('G0SECRET1', { member: false, private: true });
    await expect(client.chat.postMessage({ channel: 'C0NOTIN01', text: 'hi' })).rejects.toMatchObject(
      platformError('not_in_channel'),
    );
    await expect(client.chat.postMessage({ channel: 'G0SECRET1', text: 'hi' })).rejects.toMatchObject(
      platformError('channel_not_found'),
    );
    const info = await client.conversations.info({ channel: 'C0NOTIN01' });
    expect(info.channel).toMatchObject({ name: 'analytics', is_member: false, is_private: false });
    await expect(client.conversations.info({ channel: 'G0SECRET1' })).rejects.toMatchObject(
      platformError('channel_not_found'),
    );
  });

  it('reads threads, users, permalinks, ephemerals and statuses', async () => {
    const root = fake.seedMessage({ channel: CHANNEL, user: USER, text: 'our ETL is slow' });
    const second = fake.seedMessage({
      channel: CHANNEL,
      user: USER,
      thread_ts: root.ts,
      text: 'it runs nightly',
    });
    await client.chat.postMessage({ channel: CHANNEL, thread_ts: root.ts, text: 'looking' });
    const replies = await client.conversations.replies({ channel: CHANNEL, ts: root.ts, limit: 2 });
    expect(replies.messages?.map((m) => m.text)).toEqual(['our ETL is slow', 'it runs nightly']);
    expect(replies.messages?.[0]).toMatchObject({ reply_count: 2, thread_ts: root.ts });
    const rest = await client.conversations.replies({
      channel: CHANNEL,
      ts: root.ts,
      cursor: replies.response_metadata?.next_cursor ?? '',
    });
    expect(rest.messages?.map((m) => m.user)).toEqual([FAKE_BOT_USER_ID]);
    expect(rest.has_more).toBe(false);

    // `latest` bounds a thread read (exclusive unless `inclusive`), as in Slack.
    const upTo = (inclusive: boolean) =>
      client.conversations.replies({ channel: CHANNEL, ts: root.ts, latest: second.ts, inclusive });
    expect((await upTo(true)).messages?.map((m) => m.text)).toEqual(['our ETL is slow', 'it runs nightly']);
    expect((await upTo(false)).messages?.map((m) => m.text)).toEqual(['our ETL is slow']);

    fake.addUser({ id: USER, real_name: 'Ana', tz: 'Europe/Lisbon' });
    expect((await client.users.info({ user: USER })).user).toMatchObject({
      id: USER,
      real_name: 'Ana',
      is_bot: false,
    });
    await expect(client.users.info({ user: 'U0NOBODY1' })).rejects.toMatchObject(
      platformError('user_not_found'),
    );

    const link = await client.chat.getPermalink({ channel: CHANNEL, message_ts: root.ts });
    expect(link.permalink).toContain(root.ts.replace('.', ''));
    await client.chat.postEphemeral({ channel: CHANNEL, user: USER, text: 'only you' });
    expect(fake.ephemerals).toEqual([{ channel: CHANNEL, user: USER, text: 'only you' }]);
    await client.assistant.threads.setStatus({
      channel_id: CHANNEL,
      thread_ts: root.ts,
      status: 'is thinking…',
    });
    expect(fake.statuses[0]).toMatchObject({
      channel_id: CHANNEL,
      thread_ts: root.ts,
      status: 'is thinking…',
    });
    await client.chat.delete({ channel: CHANNEL, ts: fake.messages.at(-1)?.ts ?? '' });
    await expect(client.chat.delete({ channel: CHANNEL, ts: root.ts })).rejects.toMatchObject(
      platformError('cant_delete_message'),
    );
    expect(fake.messages).toHaveLength(2);
  });

  it('scripts failures, refuses streaming and rejects unauthenticated or unknown calls', async () => {
    fake.failNext('chat.postMessage', { error: 'is_archived' });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject(
      platformError('is_archived'),
    );
    fake.failNext('chat.postMessage', { status: 500 });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 500,
    });
    await client.chat.postMessage({ channel: CHANNEL, text: 'x' });
    fake.refuseStreaming();
    await expect(
      client.chat.startStream({
        channel: CHANNEL,
        thread_ts: '1.1',
        recipient_user_id: USER,
        recipient_team_id: 'T',
      }),
    ).rejects.toMatchObject(platformError('feature_not_enabled'));

    const raw = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: CHANNEL, text: 'x' }),
    });
    expect(await raw.json()).toEqual({ ok: false, error: 'not_authed' });
    await expect(client.apiCall('views.nonexistent')).rejects.toMatchObject(platformError('unknown_method'));
    expect(fake.calls.map((c) => c.httpStatus)).toEqual([200, 500, 200, 200, 200, 200]);
  });

  it('surfaces 429 + Retry-After as WebAPIRateLimitedError', async () => {
    const strict = clientFor(fake, { rejectRateLimitedCalls: true });
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 3 });
    await expect(strict.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 3,
    });
    expect(fake.calls[0]).toMatchObject({ httpStatus: 429, response: { ok: false, error: 'ratelimited' } });

    const limited = await startFakeSlack({ rateLimitPerChannelPerSecond: true });
    try {
      const c = clientFor(limited, { rejectRateLimitedCalls: true });
      await c.chat.postMessage({ channel: CHANNEL, text: 'first' });
      await c.chat.postMessage({ channel: 'C0OTHER01', text: 'other channel is fine' });
      await expect(c.chat.postMessage({ channel: CHANNEL, text: 'too soon' })).rejects.toMatchObject({
        code: 'slack_webapi_rate_limited_error',
        retryAfter: 1,
      });
      expect(limited.calls.map((call) => call.httpStatus)).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it('expires a response_url after 5 uses or 30 minutes', async () => {
    const post = (url: string, body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const url = fake.responseUrl();
    expect(url.startsWith('http://127.0.0.1:')).toBe(true);
    for (let i = 1; i <= 5; i++) expect((await post(url, { text: `reply ${i}` })).status).toBe(200);
    const sixth = await post(url, { text: 'reply 6' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: 'expired_url' });
    expect(fake.responses.map((r) => r.body.text)).toEqual([
      'reply 1',
      'reply 2',
      'reply 3',
      'reply 4',
      'reply 5',
    ]);
    expect(fake.responses[0]?.url).toBe(url);

    const later = fake.responseUrl();
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 30 * 60_000 + 1);
    expect((await post(later, { text: 'too late' })).status).toBe(404);
  });
});
