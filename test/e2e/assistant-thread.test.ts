import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';

const DM = 'D0ANA0001';
const ANA = 'U0ANA0001';

/**
 * Slack's AI-app side panel / DM: `assistant_thread_started` gives the thread a title and three
 * prompts for data work, and a message in that thread is a task answered there (with follow-ups).
 */
describe('the AI side panel (assistant threads)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.slack.addChannel(DM, { member: true, private: true });
  });
  afterEach(async () => {
    await h.close();
  });

  async function deliver(event: Record<string, unknown>, eventId: string) {
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(event, { event_id: eventId }),
      {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
      },
    );
    expect(response.status).toBe(200);
    await h.app.idle();
  }

  /** Slack's assistant_thread_started, as in docs.slack.dev/reference/events/assistant_thread_started. */
  async function openPanel(): Promise<string> {
    const root = h.slack.seedMessage({ channel: DM, user: ANA, text: '' });
    await deliver(
      {
        type: 'assistant_thread_started',
        assistant_thread: {
          user_id: ANA,
          context: { channel_id: 'C0DATA001', team_id: 'T0FAKE001', enterprise_id: null },
          channel_id: DM,
          thread_ts: root.ts,
        },
        event_ts: root.ts,
      },
      `EvPanel${root.ts}`,
    );
    return root.ts;
  }

  /** A person's message in the panel thread, as the message.im event Slack sends. */
  async function say(threadTs: string, text: string, eventId: string) {
    const message = h.slack.seedMessage({ channel: DM, user: ANA, text, thread_ts: threadTs });
    await deliver(
      {
        type: 'message',
        channel: DM,
        channel_type: 'im',
        user: ANA,
        text,
        ts: message.ts,
        thread_ts: threadTs,
      },
      eventId,
    );
  }

  const answers = (threadTs: string) =>
    h.slack.threadMessages(DM, threadTs).filter((m) => m.bot_id && m.markdown_text !== undefined);

  it('sets a title and three data-work prompts when the panel thread starts', async () => {
    const threadTs = await openPanel();
    const [title] = h.slack.callsTo('assistant.threads.setTitle');
    expect(title?.args).toMatchObject({ channel_id: DM, thread_ts: threadTs, title: 'Data engineering' });
    expect(title?.response).toMatchObject({ ok: true });
    const [prompts] = h.slack.callsTo('assistant.threads.setSuggestedPrompts');
    expect(prompts?.response).toMatchObject({ ok: true });
    expect(prompts?.args).toMatchObject({ channel_id: DM, thread_ts: threadTs });
    const list = prompts?.args.prompts as { title: string; message: string }[];
    expect(list).toHaveLength(3);
    expect(list.map((p) => p.title)).toEqual([
      'Design a pipeline',
      'Model a schema',
      'Add data quality checks',
    ]);
    // Nothing else is posted, and no model is called, until the person writes.
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(h.anthropic.requests).toHaveLength(0);
  });

  it('answers a message in the panel thread as a task there, and its follow-up with the context', async () => {
    const first = dataEngineeringAnswer('Hourly product events');
    h.anthropic.script(textReply(first), textReply('## Data Engineering Solution: Dedup\nUse event_id.'));
    const threadTs = await openPanel();
    await say(threadTs, 'Design a pipeline that loads our product events hourly', 'EvPanelAsk');
    expect(h.query('select source, thread_ts, status from tasks')).toEqual([
      { source: 'dm', thread_ts: threadTs, status: 'done' },
    ]);
    expect(answers(threadTs)).toHaveLength(1);
    expect(answers(threadTs)[0]?.markdown_text?.trim()).toBe(first.trim());
    // The panel thread held nothing before: no thread to read for context.
    expect(h.slack.callsTo('conversations.replies')).toHaveLength(0);

    await say(threadTs, 'How do we deduplicate?', 'EvPanelFollowUp');
    expect(h.anthropic.requests).toHaveLength(2);
    expect(h.anthropic.requests[1]?.body.messages.at(-1)).toEqual({
      role: 'user',
      content: 'How do we deduplicate?',
    });
    expect(answers(threadTs)).toHaveLength(2);
    expect(h.query('select count(*) as n from tasks')).toEqual([{ n: 1 }]);
  });

  it('still ignores a thread in the DM that is neither a task nor a panel thread', async () => {
    const root = h.slack.seedMessage({ channel: DM, user: ANA, text: 'an old note' });
    await say(root.ts, 'a reply under an old note', 'EvOldThread');
    expect(h.anthropic.requests).toHaveLength(0);
    expect(h.query('select count(*) as n from tasks')).toEqual([{ n: 0 }]);
  });
});
