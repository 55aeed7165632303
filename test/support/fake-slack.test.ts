import { describe, expect, it } from 'vitest';
import { FAKE_BOT_ID, FAKE_BOT_USER_ID, FAKE_TEAM_ID } from './fake-slack.js';
import { CHANNEL, client, fake, platformError, USER, useFakeSlack } from './fake-slack-test-setup.js';

describe('fake Slack through the real WebClient', () => {
  useFakeSlack();

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

  it('checks task and plan chunks and task_display_mode like Slack, records them, and can refuse them', async () => {
    const recipients = { recipient_user_id: USER, recipient_team_id: FAKE_TEAM_ID };
    const start = (args: Record<string, unknown>) =>
      client.chat.startStream({
        channel: CHANNEL,
        thread_ts: '1700000000.000100',
        ...recipients,
        ...args,
      } as never);
    const task = { type: 'task_update', id: 't1', title: 'Asking security', status: 'in_progress' };
    for (const bad of [
      { ...task, status: 'running' },
      { ...task, id: undefined },
      { ...task, details: 42 },
      { ...task, output: { text: 'x' } },
      { ...task, sources: [{ type: 'link', href: 'x' }] },
      { type: 'plan_update' },
    ]) {
      await expect(start({ chunks: [bad] })).rejects.toMatchObject(platformError('invalid_chunks'));
    }
    await expect(start({ task_display_mode: 'kanban', chunks: [task] })).rejects.toMatchObject(
      platformError('invalid_arguments'),
    );
    const { ts } = await start({
      task_display_mode: 'plan',
      chunks: [
        { type: 'plan_update', title: 'Working' },
        { ...task, details: 'PII columns' },
      ],
    });
    await client.chat.appendStream({
      channel: CHANNEL,
      ts: ts ?? '',
      chunks: [
        { ...task, status: 'complete' },
        { type: 'markdown_text', text: 'Done.' },
      ],
    } as never);
    const message = fake.messages.find((m) => m.ts === ts);
    expect(message?.task_display_mode).toBe('plan');
    expect(message?.markdown_text).toBe('Done.');
    expect(message?.chunks?.map((c: { type: string; status?: string }) => c.status ?? c.type)).toEqual([
      'plan_update',
      'in_progress',
      'complete',
      'markdown_text',
    ]);
    // A Slack without agent progress: text streams, task and plan chunks are refused.
    fake.refuseProgressChunks();
    await expect(start({ chunks: [task] })).rejects.toMatchObject(platformError('invalid_chunks'));
    await expect(
      client.chat.appendStream({ channel: CHANNEL, ts: ts ?? '', chunks: [task] } as never),
    ).rejects.toMatchObject(platformError('invalid_chunks'));
    await client.chat.appendStream({
      channel: CHANNEL,
      ts: ts ?? '',
      chunks: [{ type: 'markdown_text', text: '!' }],
    });
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
});
