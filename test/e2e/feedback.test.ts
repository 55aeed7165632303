import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { feedbackClickBody, viewSubmissionBody } from '../support/feedback.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0DATA001';
const OTHER_CHANNEL = 'C0OTHER01';
const ANA = 'U0ANA0001';
const BEN = 'U0BEN0001';
const EVE = 'U0EVE0001';

// biome-ignore lint/suspicious/noExplicitAny: Block Kit JSON as the app sent it.
type Json = any;

interface FeedbackRow {
  team_id: string;
  turn_id: number;
  user_id: string;
  vote: string;
  comment: string | null;
  changes: number;
}

/**
 * 👍/👎 on answers: Slack's feedback buttons under every final answer; one vote per person per answer,
 * changeable; 👎 opens an optional form; votes shown in `/data-engineer usage`.
 */
describe('feedback on answers', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    // EVE is in the workspace but not in the channel.
    h.slack.addChannel(CHANNEL, { member: true, name: 'data', members: [ANA, BEN] });
    h.slack.addChannel(OTHER_CHANNEL, { member: true, name: 'other' });
  });
  afterEach(async () => {
    await h.close();
  });

  /** Answers a task in `channel`; returns the answer's message ts and its 👍/👎 values. */
  async function answer(channel = CHANNEL): Promise<{ ts: string; up: string; down: string }> {
    h.anthropic.script(textReply(dataEngineeringAnswer()));
    await h.command('design a pipeline for user analytics', { channel_id: channel, user_id: ANA });
    await h.app.idle();
    const closing = h.slack
      .callsTo('chat.stopStream')
      .filter((c) => c.args.channel === channel && c.response?.ok)
      .at(-1);
    const buttons = (closing?.args.blocks as { type: string; elements: Json[] }[])?.find(
      (b) => b.type === 'context_actions',
    )?.elements[0];
    expect(buttons?.type).toBe('feedback_buttons');
    return {
      ts: String(closing?.args.ts),
      up: String(buttons?.positive_button.value),
      down: String(buttons?.negative_button.value),
    };
  }

  async function click(userId: string, messageTs: string, value: string, channelId = CHANNEL) {
    const { body, triggerId } = feedbackClickBody({
      userId,
      channelId,
      messageTs,
      value,
      responseUrl: h.slack.responseUrl(),
    });
    const response = await postSigned(`${h.app.url}/slack/events`, body, {
      signingSecret: TEST_SECRETS.signingSecret,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(200);
    await h.app.idle();
    return triggerId;
  }

  const rows = () => h.query<FeedbackRow>('select * from answer_feedback order by user_id');
  const told = () => h.slack.responses.map((r) => String((r.body as { text?: string }).text));

  it('puts the feedback buttons on the final answer message itself', async () => {
    const { ts, up, down } = await answer();
    const message = h.slack.messages.find((m) => m.ts === ts);
    expect(message?.markdown_text?.trim()).toBe(dataEngineeringAnswer().trim());
    expect(JSON.stringify(message?.blocks)).toContain('feedback_buttons');
    expect(up).toMatch(/^up:\d+$/);
    expect(down).toMatch(/^down:\d+$/);
    // No extra message in the thread for them.
    expect(h.slack.messages.filter((m) => m.thread_ts && m.ts !== m.thread_ts)).toHaveLength(1);
  });

  it('stores a vote, changes it, opens the optional form on 👎 and keeps its note; usage shows the votes', async () => {
    const { ts, up, down } = await answer();
    await click(ANA, ts, up);
    expect(rows()).toMatchObject([{ user_id: ANA, vote: 'up', comment: null, changes: 0 }]);
    expect(told().at(-1)).toContain('Thanks for the 👍');
    expect(h.slack.callsTo('views.open')).toHaveLength(0);

    const trigger = await click(ANA, ts, down);
    expect(rows()).toMatchObject([{ user_id: ANA, vote: 'down', changes: 1 }]);
    expect(told().at(-1)).toContain('Changed your vote on this answer to 👎');
    const [opened] = h.slack.callsTo('views.open');
    expect(opened?.args.trigger_id).toBe(trigger);
    expect(opened?.response).toMatchObject({ ok: true });
    const view = opened?.args.view as { callback_id: string; private_metadata: string; blocks: Json[] };

    const submitted = await postSigned(
      `${h.app.url}/slack/events`,
      viewSubmissionBody({
        userId: ANA,
        callbackId: view.callback_id,
        privateMetadata: view.private_metadata,
        values: {
          [view.blocks[0].block_id]: {
            [view.blocks[0].element.action_id]: {
              type: 'plain_text_input',
              value: 'The SQL uses MERGE, which our Postgres 14 lacks.',
            },
          },
        },
      }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
    );
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe(''); // an empty ack closes the form
    expect(rows()[0]?.comment).toBe('The SQL uses MERGE, which our Postgres 14 lacks.');
    await until(() => h.slack.ephemerals.some((e) => e.user === ANA && /note was saved/.test(e.text ?? '')));

    await click(BEN, ts, up);
    expect(rows().map((r) => [r.user_id, r.vote])).toEqual([
      [ANA, 'down'],
      [BEN, 'up'],
    ]);
    const usage = await h.command('usage', { channel_id: CHANNEL, user_id: ANA });
    expect(usage.json.text).toContain('feedback 👍 1 · 👎 1');
    // The channel's digest (here the private preview of the last 24 hours) summarises them too.
    await h.command('digest now', { channel_id: CHANNEL, user_id: ANA });
    await h.app.idle();
    const preview = h.slack.responses.map((r) => JSON.stringify(r.body)).join('\n');
    expect(preview).toContain('👍 1 · 👎 1 on answers');
  });

  it('refuses people outside the channel, answers of another channel, and unreadable values', async () => {
    const { ts, up } = await answer();
    await click(EVE, ts, up);
    expect(told().at(-1)).toContain('Only people in this channel');
    // The value of an answer in #data, clicked in another channel's container: not that channel's answer.
    await click(ANA, ts, up, OTHER_CHANNEL);
    expect(told().at(-1)).toContain('no longer stored');
    await click(ANA, ts, 'up:99999');
    await click(ANA, ts, 'sideways:1');
    expect(rows()).toEqual([]);
  });

  it('keeps the answer when its feedback buttons cannot be posted (they are optional)', async () => {
    h.slack.refuseStreaming();
    // The answer is posted (and edited), so the buttons need a message of their own: it fails.
    h.slack.failNext('chat.postMessage', { status: 500 }, 1, (args) =>
      JSON.stringify(args.blocks ?? '').includes('feedback_buttons'),
    );
    h.anthropic.script(textReply(dataEngineeringAnswer()));
    await h.command('design a pipeline for user analytics', { user_id: ANA });
    await h.app.idle();
    const [task] = h.query<{ status: string }>('select status from tasks');
    expect(task?.status).toBe('done');
    const answer = h.slack.messages.filter((m) => m.thread_ts && m.thread_ts !== m.ts && !m.upload);
    expect(answer.map((m) => String(m.text ?? m.markdown_text)).join('\n')).toContain('Data Architecture');
    expect(JSON.stringify(h.slack.messages)).not.toContain("couldn't finish");
  });

  it('refuses a vote, and opens no form, when Slack cannot say who is in the channel (fails closed)', async () => {
    const { ts, down } = await answer();
    // A fresh bot: nothing cached. Every members read and the voter's own conversations fail.
    h.slack.failNext('conversations.members', { error: 'fatal_error' }, 20);
    h.slack.failNext('users.conversations', { error: 'fatal_error' }, 20);
    await click(EVE, ts, down);
    expect(told().at(-1)).toContain("couldn't check that you are in this channel");
    expect(rows()).toEqual([]);
    expect(h.slack.callsTo('views.open')).toEqual([]);
  });

  it('bounds what repeated clicks can write: one row, at most five changes', async () => {
    const { ts, up, down } = await answer();
    for (let i = 0; i < 12; i++) await click(BEN, ts, i % 2 === 0 ? up : down);
    await click(BEN, ts, up);
    const [row] = rows();
    expect(rows()).toHaveLength(1);
    expect(row?.changes).toBe(5);
    expect(told().at(-1)).toContain('changed too often');
    // Each new 👎 opened the form; the refused ones did not.
    expect(h.slack.callsTo('views.open').length).toBeLessThanOrEqual(3);
  });

  it('keeps no note from a form for an answer the person has no 👎 on', async () => {
    const { ts, up } = await answer();
    await click(ANA, ts, up);
    const turnId = Number(up.split(':')[1]);
    const submitted = await postSigned(
      `${h.app.url}/slack/events`,
      viewSubmissionBody({
        userId: ANA,
        callbackId: 'answer_feedback_form',
        privateMetadata: JSON.stringify({ turnId, channelId: CHANNEL }),
        values: { what_was_wrong: { text: { type: 'plain_text_input', value: 'sneaky note' } } },
      }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
    );
    expect(submitted.status).toBe(200);
    expect(rows()[0]?.comment).toBeNull();
  });
});
