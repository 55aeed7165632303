import { type Logger, LogLevel, WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FAKE_BOT_ID, FAKE_BOT_USER_ID, FAKE_TEAM_ID, type FakeSlack, startFakeSlack } from './fake-slack.js';
import { eventEnvelope, SLACK_SIGNING_EXAMPLE, signSlackRequest, slashCommandBody } from './slack-signing.js';

const CHANNEL = 'C0DATA001';
const USER = 'U0ANA0001';

/** The WebClient logs every platform error and missing-text warning; these tests provoke them on purpose. */
const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};
const clientFor = (fake: FakeSlack, options: { rejectRateLimitedCalls?: boolean } = {}) =>
  new WebClient('xoxb-test', {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logger: quiet,
    ...options,
  });

const platformError = (error: string) => ({
  code: 'slack_webapi_platform_error',
  data: { ok: false, error },
});

describe('fake Slack through the real WebClient', () => {
  let fake: FakeSlack;
  let client: WebClient;
  beforeAll(async () => {
    fake = await startFakeSlack();
    client = clientFor(fake);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    fake.reset();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('answers auth.test with the bot identity', async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({
      ok: true,
      team_id: FAKE_TEAM_ID,
      user_id: FAKE_BOT_USER_ID,
      bot_id: FAKE_BOT_ID,
    });
    expect(fake.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('users.conversations: paginated, filtered by types, private conversations only where the bot is too', async () => {
    fake.addUser({ id: USER });
    fake.addChannel('C0PUB0001', { members: [USER] });
    fake.addChannel('C0PUB0002', { members: [USER] });
    fake.addChannel('C0ELSE001', { members: ['U0OTHER01'] });
    fake.addChannel('G0PRIV001', { members: [USER] });
    fake.addChannel('G0HIDE001', { members: [USER], member: false });
    fake.addChannel('D0ANA0001', { members: [USER] });
    const types = 'public_channel,private_channel,mpim,im';
    const first = await client.users.conversations({ user: USER, types, limit: 2 });
    expect(first.channels?.map((c) => c.id)).toEqual(['C0PUB0001', 'C0PUB0002']);
    const cursor = first.response_metadata?.next_cursor ?? '';
    expect(cursor).not.toBe('');
    const second = await client.users.conversations({ user: USER, types, limit: 2, cursor });
    expect(second.channels?.map((c) => c.id)).toEqual(['D0ANA0001', 'G0PRIV001']);
    expect(second.response_metadata?.next_cursor).toBe('');
    const publicOnly = await client.users.conversations({ user: USER });
    expect(publicOnly.channels?.map((c) => c.id)).toEqual(['C0PUB0001', 'C0PUB0002']);
    await expect(client.users.conversations({ user: 'U0NOBODY1' })).rejects.toMatchObject(
      platformError('user_not_found'),
    );
    await expect(client.users.conversations({ user: USER, cursor: 'bm9wZQ' })).rejects.toMatchObject(
      platformError('invalid_cursor'),
    );
  });

  it('posts and updates a message, recording both calls and the current state', async () => {
    const posted = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'working on it',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'working on it' } }],
      metadata: { event_type: 'task', event_payload: { id: 7 } },
    });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    const second = await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: posted.ts,
      markdown_text: '**hi**',
    });
    expect(Number(second.ts)).toBeGreaterThan(Number(posted.ts));

    await client.chat.update({ channel: CHANNEL, ts: posted.ts ?? '', markdown_text: '## Done' });
    const [parent, reply] = fake.threadMessages(CHANNEL, posted.ts ?? '');
    expect(parent).toMatchObject({ ts: posted.ts, markdown_text: '## Done', edits: 1, bot_id: FAKE_BOT_ID });
    expect(parent?.metadata).toEqual({ event_type: 'task', event_payload: { id: 7 } });
    expect(parent).not.toHaveProperty('text');
    expect(reply).toMatchObject({ thread_ts: posted.ts, markdown_text: '**hi**', edits: 0 });

    const calls = fake.calls.map((c) => [c.method, c.httpStatus, c.token]);
    expect(calls).toEqual([
      ['chat.postMessage', 200, 'xoxb-test'],
      ['chat.postMessage', 200, 'xoxb-test'],
      ['chat.update', 200, 'xoxb-test'],
    ]);
    // Form-encoded nested values arrive parsed.
    expect(fake.callsTo('chat.postMessage')[0]?.args.blocks).toHaveLength(1);
  });

  it('rejects markdown_text combined with text', async () => {
    await expect(
      client.chat.postMessage({ channel: CHANNEL, text: 'fallback', markdown_text: '**x**' } as never),
    ).rejects.toMatchObject(platformError('markdown_text_conflict'));
    expect(fake.messages).toHaveLength(0);
    expect(fake.calls[0]?.response).toEqual({ ok: false, error: 'markdown_text_conflict' });
  });

  it('accepts 12,000 markdown characters and refuses 12,001 with msg_too_long', async () => {
    await client.chat.postMessage({ channel: CHANNEL, markdown_text: 'x'.repeat(12_000) });
    await expect(
      client.chat.postMessage({ channel: CHANNEL, markdown_text: 'x'.repeat(12_001) }),
    ).rejects.toMatchObject(platformError('msg_too_long'));
    expect(fake.messages).toHaveLength(1);
  });

  it('enforces text and Block Kit limits', async () => {
    const post = (args: Record<string, unknown>) =>
      client.chat.postMessage({ channel: CHANNEL, ...args } as never);
    await expect(post({})).rejects.toMatchObject(platformError('no_text'));
    const divider = { type: 'divider' };
    await expect(post({ blocks: Array(51).fill(divider) })).rejects.toMatchObject(
      platformError('msg_blocks_too_many'),
    );
    await post({ blocks: Array(50).fill(divider) });
    const section = (n: number) => ({ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(n) } });
    await expect(post({ blocks: [section(3001)] })).rejects.toMatchObject(platformError('invalid_blocks'));
    const header = { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } };
    await expect(post({ blocks: [header] })).rejects.toMatchObject(platformError('invalid_blocks'));
    const markdown = { type: 'markdown', text: 'm'.repeat(6001) };
    await expect(post({ blocks: [markdown, markdown] })).rejects.toMatchObject(
      platformError('invalid_blocks'),
    );
    await expect(post({ blocks: [{ text: 'no type' }] })).rejects.toMatchObject(
      platformError('invalid_blocks'),
    );
    const { ts } = await post({ text: 'short' });
    await expect(
      client.chat.update({ channel: CHANNEL, ts: ts ?? '', text: 't'.repeat(4001) }),
    ).rejects.toMatchObject(platformError('msg_too_long'));
  });

  it('streams with chatStream (chunks) through start, append and stop', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'question' });
    const streamer = client.chatStream({
      channel: CHANNEL,
      thread_ts: parent.ts ?? '',
      recipient_team_id: FAKE_TEAM_ID,
      recipient_user_id: USER,
      buffer_size: 10,
    });
    await streamer.append({ markdown_text: '## Data Engineering ' });
    expect(fake.messages.at(-1)).toMatchObject({
      streaming_state: 'in_progress',
      markdown_text: '## Data Engineering ',
    });
    await streamer.append({ markdown_text: 'Solution: pipeline\n' });
    await streamer.stop({ markdown_text: 'done.', blocks: [{ type: 'divider' }] });

    expect(fake.callsTo('chat.startStream')[0]?.args.chunks).toEqual([
      { type: 'markdown_text', text: '## Data Engineering ' },
    ]);
    expect(fake.callsTo('chat.appendStream')).toHaveLength(1);
    expect(fake.callsTo('chat.stopStream')).toHaveLength(1);
    const answer = fake.threadMessages(CHANNEL, parent.ts ?? '')[1];
    expect(answer).toMatchObject({
      thread_ts: parent.ts,
      markdown_text: '## Data Engineering Solution: pipeline\ndone.',
      streaming_state: 'completed',
      blocks: [{ type: 'divider' }],
    });
    // A streamed message cannot be edited while streaming, but can once completed.
    await client.chat.update({ channel: CHANNEL, ts: answer?.ts ?? '', markdown_text: 'edited' });
  });

  it('enforces streaming rules: recipients, thread_ts, chunk types, the 12,000 budget, update while streaming', async () => {
    const start = (args: Record<string, unknown>) =>
      client.chat.startStream({ channel: CHANNEL, thread_ts: '1700000000.000100', ...args } as never);
    await expect(start({})).rejects.toMatchObject(platformError('missing_recipient_user_id'));
    await expect(start({ recipient_user_id: USER })).rejects.toMatchObject(
      platformError('missing_recipient_team_id'),
    );
    await expect(
      client.chat.startStream({ channel: 'D0DM00001', markdown_text: 'x' } as never),
    ).rejects.toMatchObject(platformError('channel_not_found'));
    fake.addChannel('D0DM00001', {});
    await expect(client.chat.startStream({ channel: 'D0DM00001' } as never)).rejects.toMatchObject(
      platformError('invalid_arguments'),
    );
    const recipients = { recipient_user_id: USER, recipient_team_id: FAKE_TEAM_ID };
    await expect(start({ ...recipients, chunks: [{ type: 'sparkles' }] })).rejects.toMatchObject(
      platformError('invalid_chunks'),
    );
    const task = { type: 'task_update', id: 't1', title: 'Reading schema', status: 'in_progress' };
    const { ts } = await start({
      ...recipients,
      chunks: [task, { type: 'markdown_text', text: 'a'.repeat(11_000) }],
    });
    await expect(client.chat.update({ channel: CHANNEL, ts: ts ?? '', text: 'x' })).rejects.toMatchObject(
      platformError('streaming_state_conflict'),
    );
    await expect(
      client.chat.appendStream({ channel: CHANNEL, ts: ts ?? '', markdown_text: 'b'.repeat(1001) }),
    ).rejects.toMatchObject(platformError('msg_too_long'));
    await client.chat.appendStream({ channel: CHANNEL, ts: ts ?? '', markdown_text: 'b'.repeat(1000) });
    await expect(
      client.chat.appendStream({ channel: CHANNEL, ts: '1.000001', markdown_text: 'x' }),
    ).rejects.toMatchObject(platformError('message_not_found'));
    expect(fake.messages[0]?.chunks?.[0]).toEqual(task);
    expect(fake.messages[0]?.markdown_text).toHaveLength(12_000);
  });

  it('ends streams early with expireStreamsAfterAppends', async () => {
    fake.expireStreamsAfterAppends(1);
    const streamer = client.chatStream({
      channel: CHANNEL,
      thread_ts: '1700000000.000100',
      recipient_team_id: FAKE_TEAM_ID,
      recipient_user_id: USER,
      buffer_size: 1,
    });
    await streamer.append({ markdown_text: 'one ' });
    await streamer.append({ markdown_text: 'two ' });
    const error = await streamer.append({ markdown_text: 'three' }).catch((e: unknown) => e);
    expect(error).toMatchObject(platformError('message_not_in_streaming_state'));
    const message = fake.messages[0];
    expect(message).toMatchObject({ markdown_text: 'one two ', streaming_state: 'completed' });
    // The bot can still finish the answer with chat.update.
    await client.chat.update({ channel: CHANNEL, ts: message?.ts ?? '', markdown_text: 'one two three' });
    expect(fake.messages[0]).toMatchObject({ markdown_text: 'one two three', edits: 1 });
  });

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

describe('Slack request signing', () => {
  it("reproduces Slack's published example", () => {
    const { secret, timestamp, body, signature } = SLACK_SIGNING_EXAMPLE;
    expect(Buffer.byteLength(body)).toBe(362);
    expect(signSlackRequest(secret, body, timestamp)).toEqual({
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': signature,
    });
  });

  it('builds slash-command and event bodies the way Slack sends them', () => {
    const body = new URLSearchParams(
      slashCommandBody({ text: 'design a pipeline', response_url: 'http://x/r/1' }),
    );
    expect(body.get('team_id')).toBe(FAKE_TEAM_ID);
    expect(body.get('command')).toBe('/data-engineer');
    expect(body.get('text')).toBe('design a pipeline');
    const another = new URLSearchParams(slashCommandBody({ text: '', response_url: 'http://x/r/1' }));
    expect(another.get('trigger_id')).not.toBe(body.get('trigger_id'));

    const envelope = JSON.parse(
      eventEnvelope({ type: 'app_mention', user: USER, text: 'hi', ts: '1.2', channel: CHANNEL }),
    );
    expect(envelope).toMatchObject({
      type: 'event_callback',
      team_id: FAKE_TEAM_ID,
      event: { event_ts: '1.2' },
    });
    expect(envelope.authorizations[0]).toMatchObject({ user_id: FAKE_BOT_USER_ID, is_bot: true });
    expect(JSON.parse(eventEnvelope({ type: 'x' })).event_id).not.toBe(envelope.event_id);
  });
});
