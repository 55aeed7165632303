import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer } from '../support/fake-anthropic.js';
import { FAKE_TEAM_ID } from '../support/fake-slack.js';
import { isFeedbackPrompt } from '../support/feedback.js';
import { type Harness, startHarness } from '../support/harness.js';

const USER = 'U0ANA0001';
const CHANNEL = 'C0DATA001';
const SECTIONS = ['Data Architecture', 'Implementation Plan', 'Quality Assurance', 'Code/Configuration'];

interface TaskRow {
  id: number;
  status: string;
  team_id: string;
  thread_ts: string | null;
  answer_ts: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  failure_reason: string | null;
}

describe('/data-engineer <task>', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('acks with a receipt, posts the parent and streams a four-section answer into its thread', async () => {
    const response = await h.command('design a pipeline for user analytics', {
      user_id: USER,
      channel_id: CHANNEL,
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect(response.json.text).toContain('thread');
    await h.app.idle();

    const parent = h.slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts);
    expect(parent?.text).toContain(`<@${USER}> asked:`);
    expect(parent?.text).toContain('design a pipeline for user analytics');

    const replies = h.slack.threadMessages(CHANNEL, parent?.ts ?? '').filter((m) => m.ts !== parent?.ts);
    expect(replies).toHaveLength(1);
    const answer = replies[0]?.markdown_text ?? '';
    expect(answer).toContain('Data Engineering Solution:');
    for (const section of SECTIONS) expect(answer).toContain(section);
    expect(replies[0]?.streaming_state).toBe('completed');
    expect(h.slack.callsTo('chat.startStream')).toHaveLength(1);
    expect(h.slack.callsTo('chat.stopStream')).toHaveLength(1);

    // The status showed between the ack and the first token.
    const status = h.slack.statuses[0];
    expect(status).toMatchObject({ channel_id: CHANNEL, thread_ts: parent?.ts, status: 'is thinking…' });
    const firstWrite = h.slack.callsTo('chat.startStream')[0];
    expect(status?.at).toBeLessThan(firstWrite?.at ?? 0);

    const [task] = h.query<TaskRow>('select * from tasks');
    expect(task).toMatchObject({
      status: 'done',
      team_id: FAKE_TEAM_ID,
      thread_ts: parent?.ts,
      answer_ts: replies[0]?.ts,
    });
    // Everything the first request sends is written to the prompt cache, so it counts as cache writes.
    expect((task?.input_tokens ?? 0) + (task?.cache_write_tokens ?? 0)).toBeGreaterThan(1000);
    expect(task?.output_tokens).toBeGreaterThan(0);
    expect(task?.cost_usd).toBeGreaterThan(0);
    const turns = h.query<{ role: string }>('select role from turns order by id');
    expect(turns.map((t) => t.role)).toEqual(['user', 'assistant']);

    const health = await fetch(`${h.app.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('sends the model a cacheable system prompt with nothing per request in it', async () => {
    await h.command('optimize query performance for reporting', { user_id: USER });
    await h.app.idle();
    const request = h.anthropic.requests[0]?.body;
    expect(request.model).toBe('claude-sonnet-5-5');
    expect(request.stream).toBe(true);
    expect(request).not.toHaveProperty('temperature');
    const system = request.system as { text: string; cache_control?: unknown }[];
    expect(system.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
    const systemText = system.map((b) => b.text).join('\n');
    expect(systemText).not.toContain(USER);
    expect(systemText).not.toMatch(/20\d\d-\d\d-\d\d/);
    expect(request.messages).toEqual([{ role: 'user', content: 'optimize query performance for reporting' }]);
  });

  it('answers the command before the model has produced anything', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    h.anthropic.script({ kind: 'message', content: [{ type: 'text', text: dataEngineeringAnswer() }], gate });
    const response = await h.command('design a pipeline for user analytics');
    expect(response.status).toBe(200);
    // The model is still held: the ack came first.
    expect(h.anthropic.requests.every((r) => r.firstByteAt === undefined)).toBe(true);
    release();
    await h.app.idle();
    expect(h.anthropic.requests[0]?.firstByteAt).toBeGreaterThan(response.receivedAt);
  });

  it.each(['', '   ', 'help'])('answers %j with usage help and no model call', async (text) => {
    const response = await h.command(text);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect(response.json.text).toContain('/data-engineer design a pipeline');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(0);
    expect(h.slack.messages).toHaveLength(0);
  });

  it('explains how to invite the bot when it is not in the channel', async () => {
    h.slack.addChannel('C0NOTIN01', { member: false, name: 'analytics' });
    const response = await h.command('design a pipeline', { channel_id: 'C0NOTIN01' });
    expect(response.status).toBe(200);
    await h.app.idle();
    expect(h.slack.responses).toHaveLength(1);
    expect(h.slack.responses[0]?.body).toMatchObject({ response_type: 'ephemeral' });
    expect(h.slack.responses[0]?.body.text).toContain('/invite @data-engineer');
    expect(h.anthropic.requests).toHaveLength(0);
    expect(h.query<TaskRow>('select * from tasks')[0]).toMatchObject({
      status: 'failed',
      failure_reason: 'slack_not_in_channel',
    });
  });

  it('explains private channels and DMs it cannot see', async () => {
    h.slack.addChannel('G0SECRET1', { member: false, private: true });
    await h.command('design a pipeline', { channel_id: 'G0SECRET1' });
    await h.app.idle();
    expect(h.slack.responses[0]?.body.text).toMatch(/private channel/);
    expect(h.anthropic.requests).toHaveLength(0);
  });

  it('leaves one clear message and a failed task when Claude stays overloaded', async () => {
    const overloaded = {
      kind: 'error' as const,
      status: 529,
      type: 'overloaded_error',
      message: 'Overloaded',
    };
    h.anthropic.script(overloaded, overloaded, overloaded);
    await h.command('design a pipeline for user analytics');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(3);
    const replies = h.slack.messages.filter(
      (m) => m.thread_ts && m.thread_ts !== m.ts && !isFeedbackPrompt(m),
    );
    expect(replies).toHaveLength(1);
    const text = replies[0]?.text ?? '';
    expect(text).toContain('overloaded');
    expect(JSON.stringify(replies[0]?.blocks)).toContain('Retry');
    expect(text).not.toMatch(/Error:|at .*:\d+|stack/i);
    expect(h.query<TaskRow>('select * from tasks')[0]).toMatchObject({
      status: 'failed',
      failure_reason: 'agent_overloaded',
    });
  });

  it('retries a stream that breaks mid-answer and leaves exactly one complete answer', async () => {
    const answer = dataEngineeringAnswer();
    h.anthropic.script(
      { kind: 'message', content: [{ type: 'text', text: answer }], midStreamError: { afterChars: 600 } },
      { kind: 'message', content: [{ type: 'text', text: answer }] },
    );
    await h.command('design a pipeline for user analytics');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(2);
    const replies = h.slack.messages.filter(
      (m) => m.thread_ts && m.thread_ts !== m.ts && !isFeedbackPrompt(m),
    );
    expect(replies).toHaveLength(1);
    expect(replies[0]?.markdown_text?.trim()).toBe(answer.trim());
    expect(h.query<TaskRow>('select * from tasks')[0]?.status).toBe('done');
  });

  it('keeps one message’s write pace when a restarted answer rewrites it', async () => {
    await h.close();
    h = await startHarness({ tuning: { slackMinWriteIntervalMs: 300 } });
    const answer = dataEngineeringAnswer();
    h.anthropic.script(
      {
        kind: 'message',
        content: [{ type: 'text', text: answer }],
        tokensPerSecond: 600,
        midStreamError: { afterChars: 1500 },
      },
      { kind: 'message', content: [{ type: 'text', text: answer }] },
    );
    await h.command('design a pipeline for user analytics');
    await h.app.idle();
    const [reply] = h.slack.messages.filter(
      (m) => m.thread_ts && m.thread_ts !== m.ts && !isFeedbackPrompt(m),
    );
    const writes = h.slack.calls
      .filter(
        (c) => c.args.ts === reply?.ts || (c.method === 'chat.startStream' && c.response?.ts === reply?.ts),
      )
      .map((c) => c.at);
    expect(h.slack.callsTo('chat.update').length).toBeGreaterThan(0); // the restart rewrote the message
    const gaps = writes.slice(1).map((at, i) => at - (writes[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
  });

  it('splits a 30,000-character answer into messages within Slack limits with balanced fences', async () => {
    const long = longAnswer(30_000);
    h.anthropic.script({ kind: 'message', content: [{ type: 'text', text: long }] });
    await h.command('design the whole warehouse');
    await h.app.idle();
    // The answer's messages (its long SQL blocks also arrive as files, in file share messages).
    const replies = h.slack.messages.filter(
      (m) => m.thread_ts && m.thread_ts !== m.ts && !m.upload && !isFeedbackPrompt(m),
    );
    expect(replies.length).toBeGreaterThanOrEqual(3);
    for (const reply of replies) {
      const text = reply.markdown_text ?? '';
      expect(text.length).toBeLessThanOrEqual(12_000);
      expect(text.length).toBeGreaterThan(0);
      expect(countFenceLines(text) % 2).toBe(0);
    }
    const rejected = h.slack.calls.filter((c) => c.response?.ok === false);
    expect(rejected).toEqual([]);
    expect(h.query<TaskRow>('select * from tasks')[0]?.status).toBe('done');
  });

  it('never lets broadcasts or foreign mentions from the model reach Slack', async () => {
    const hostile = [
      '## Data Engineering Solution: Alerts\n',
      'Ping <!chan',
      'nel> and <!here> and <!everyone|everyone> now. Also <@U0EVIL0',
      '01> and <@W123|boss> and <!subteam^S0DBA01|@dba>.\n',
      'Plain @channel and @here and @everyone too.\n',
    ];
    h.anthropic.script({ kind: 'message', content: [{ type: 'text', text: hostile.join('') }] });
    await h.command('set up alerts');
    await h.app.idle();
    const sent = JSON.stringify(h.slack.calls.map((c) => c.args));
    expect(sent).not.toMatch(/<!(channel|here|everyone|subteam)/);
    expect(sent).not.toMatch(/<@(U0EVIL001|W123)/);
    expect(sent).not.toMatch(/(?<![\w\u200B])@(channel|here|everyone)\b/);
    const reply = h.slack.messages.find((m) => m.thread_ts && m.thread_ts !== m.ts);
    expect(reply?.markdown_text).toContain('Data Engineering Solution: Alerts');
  });

  it('posts then edits when Slack refuses streaming', async () => {
    h.slack.refuseStreaming('feature_not_enabled');
    await h.command('design a pipeline for user analytics');
    await h.app.idle();
    const replies = h.slack.messages.filter(
      (m) => m.thread_ts && m.thread_ts !== m.ts && !isFeedbackPrompt(m),
    );
    expect(replies).toHaveLength(1);
    for (const section of SECTIONS) expect(replies[0]?.markdown_text).toContain(section);
    expect(h.slack.callsTo('chat.postMessage').length).toBeGreaterThanOrEqual(2);
    expect(h.query<TaskRow>('select * from tasks')[0]?.status).toBe('done');
  });

  it('finishes with chat.update when Slack ends the stream early', async () => {
    h.slack.expireStreamsAfterAppends(1);
    h.anthropic.script({
      kind: 'message',
      content: [{ type: 'text', text: dataEngineeringAnswer() }],
      tokensPerSecond: 400,
    });
    await h.command('design a pipeline for user analytics');
    await h.app.idle();
    const replies = h.slack.messages.filter(
      (m) => m.thread_ts && m.thread_ts !== m.ts && !isFeedbackPrompt(m),
    );
    expect(replies).toHaveLength(1);
    expect(replies[0]?.markdown_text?.trim()).toBe(dataEngineeringAnswer().trim());
    expect(h.slack.callsTo('chat.update').length).toBeGreaterThanOrEqual(1);
  });

  it('when one stream write fails mid-answer, finishes the same message with chat.update', async () => {
    const answer = dataEngineeringAnswer();
    h.anthropic.script({ kind: 'message', content: [{ type: 'text', text: answer }], tokensPerSecond: 400 });
    h.slack.failNext('chat.appendStream', { error: 'internal_error' });
    await h.command('design a pipeline for user analytics');
    await h.app.idle();
    const replies = h.slack.messages.filter(
      (m) => m.thread_ts && m.thread_ts !== m.ts && !isFeedbackPrompt(m),
    );
    expect(replies).toHaveLength(1);
    expect(replies[0]?.streaming_state).not.toBe('in_progress');
    expect(replies[0]?.markdown_text?.trim()).toBe(answer.trim());
    expect(h.query<TaskRow>('select * from tasks')[0]?.status).toBe('done');
  });

  it('when Slack keeps failing mid-answer, leaves one clear message with a Retry button', async () => {
    h.anthropic.script({
      kind: 'message',
      content: [{ type: 'text', text: dataEngineeringAnswer() }],
      tokensPerSecond: 400,
    });
    h.slack.failNext('chat.appendStream', { error: 'internal_error' });
    h.slack.failNext('chat.update', { error: 'internal_error' }, 3);
    await h.command('design a pipeline for user analytics');
    await h.app.idle();
    const replies = h.slack.messages.filter(
      (m) => m.thread_ts && m.thread_ts !== m.ts && !isFeedbackPrompt(m),
    );
    expect(replies).toHaveLength(1);
    expect(replies[0]?.streaming_state).not.toBe('in_progress');
    expect(replies[0]?.text).toContain("couldn't finish this answer");
    expect(JSON.stringify(replies[0]?.blocks)).toContain('"action_id":"task_retry"');
    expect(h.query<TaskRow>('select * from tasks')[0]).toMatchObject({
      status: 'failed',
      failure_reason: 'slack_internal_error',
    });
  });

  it('handles the same command delivered twice as one task', async () => {
    const body = await import('../support/slack-signing.js');
    const payload = body.slashCommandBody({
      text: 'design a pipeline',
      team_id: FAKE_TEAM_ID,
      response_url: h.slack.responseUrl(),
      trigger_id: '1234.5678.same',
    });
    const options = {
      signingSecret: 'test-signing-secret-abcdef0123456789',
      contentType: 'application/x-www-form-urlencoded' as const,
    };
    await body.postSigned(`${h.app.url}/slack/events`, payload, options);
    await body.postSigned(`${h.app.url}/slack/events`, payload, options);
    await h.app.idle();
    expect(h.query('select * from tasks')).toHaveLength(1);
    expect(h.anthropic.requests).toHaveLength(1);
  });

  it('never writes a secret to the logs', async () => {
    await h.command('design a pipeline');
    await h.app.idle();
    const logs = h.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain('xoxb-test-bot-token');
    expect(logs).not.toContain('test-signing-secret');
    expect(logs).not.toContain('sk-ant-test-key');
  });
});

function countFenceLines(text: string): number {
  return text.split('\n').filter((line) => /^\s*(```|~~~)/.test(line)).length;
}

function longAnswer(chars: number): string {
  const parts = ['## Data Engineering Solution: Warehouse\n'];
  let i = 0;
  while (parts.join('').length < chars) {
    i += 1;
    parts.push(`\n### Part ${i}\n\n${'Prose about partitioning and clustering. '.repeat(40)}\n\n`);
    parts.push(`\`\`\`sql\n${`SELECT col_${i}, count(*) FROM events GROUP BY 1;\n`.repeat(40)}\`\`\`\n`);
  }
  return parts.join('');
}
