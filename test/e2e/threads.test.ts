import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationTokens } from '../../src/core/tasks/context-budget.js';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0DATA001';

const ANA = 'U0ANA0001';
const BEN = 'U0BEN0001';

// biome-ignore lint/suspicious/noExplicitAny: Slack events are free-form JSON.
type SlackEvent = Record<string, any>;

describe('threads', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Delivers an event exactly as Slack does (signed JSON), optionally as a numbered retry. */
  async function deliver(event: SlackEvent, eventId: string, retryNum?: number) {
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(event, { event_id: eventId }),
      {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
        headers: retryNum
          ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' }
          : {},
      },
    );
    expect(response.status).toBe(200);
  }

  /** A human message that exists in the fake Slack (so threads read back in order) and its event. */
  function human(user: string, text: string, threadTs?: string): SlackEvent {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user,
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return {
      type: 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user,
      text,
      ts: message.ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
  }

  const mention = (e: SlackEvent) => ({ ...e, type: 'app_mention' });
  const botReplies = (threadTs: string) => h.slack.threadMessages(CHANNEL, threadTs).filter((m) => m.bot_id);

  it('answers a mention in the mention’s thread', async () => {
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline for user analytics`);
    await deliver(mention(message), 'EvMention1');
    await h.app.idle();
    const replies = botReplies(message.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.markdown_text).toContain('Data Architecture');
    expect(h.anthropic.requests[0]?.body.messages).toEqual([
      { role: 'user', content: 'design a pipeline for user analytics' },
    ]);
  });

  it('reads a foreign thread once when mentioned inside it and uses it as context', async () => {
    const parent = human(BEN, 'Our Postgres orders table hits 40M rows and the nightly export takes 3h');
    human(ANA, 'and finance wants hourly numbers', parent.ts);
    const ask = human(ANA, `<@${FAKE_BOT_USER_ID}> can you propose a fix?`, parent.ts);
    await deliver(mention(ask), 'EvMention2');
    await h.app.idle();
    expect(h.slack.callsTo('conversations.replies')).toHaveLength(1);
    const content = h.anthropic.requests[0]?.body.messages[0].content as string;
    expect(content).toContain('40M rows');
    expect(content).toContain('finance wants hourly numbers');
    expect(content).toContain('can you propose a fix?');
    expect(botReplies(parent.ts)).toHaveLength(1);
  });

  it('answers a reply in its thread without a mention, with the earlier turns in context', async () => {
    const first = dataEngineeringAnswer('Pipeline for user analytics');
    h.anthropic.script(textReply(first), textReply('## Data Engineering Solution: Hourly refresh\nUse CDC.'));
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline for user analytics`);
    await deliver(mention(message), 'EvStart');
    await h.app.idle();
    await deliver(human(BEN, 'Can it refresh hourly instead of daily?', message.ts), 'EvReply');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(2);
    expect(h.anthropic.requests[1]?.body.messages).toEqual([
      { role: 'user', content: 'design a pipeline for user analytics' },
      { role: 'assistant', content: first },
      { role: 'user', content: 'Can it refresh hourly instead of daily?' },
    ]);
    const replies = botReplies(message.ts);
    expect(replies).toHaveLength(2);
    expect(replies[1]?.markdown_text).toContain('Use CDC.');
  });

  it('answers a mention in a foreign thread once when its twin arrives while the thread is read', async () => {
    const parent = human(BEN, 'Our nightly export takes 3h');
    const ask = human(ANA, `<@${FAKE_BOT_USER_ID}> can you propose a fix?`, parent.ts);
    const release = h.slack.holdNext('conversations.replies');
    await deliver(mention(ask), 'EvRace');
    await deliver(ask, 'EvRaceTwin'); // arrives while the bot waits on conversations.replies
    await deliver(mention(ask), 'EvRace', 1);
    release();
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(1);
    expect(h.anthropic.requests[0]?.body.messages[0].content).toContain('nightly export takes 3h');
    expect(botReplies(parent.ts)).toHaveLength(1);
    expect(h.query('select * from turns')).toHaveLength(2);
  });

  it('answers one mention once, however often Slack delivers it', async () => {
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline`);
    await deliver(mention(message), 'EvDup');
    for (const retry of [1, 2, 3]) await deliver(mention(message), 'EvDup', retry);
    await deliver(message, 'EvDupTwin'); // the message.channels twin of the same mention
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(1);
    expect(botReplies(message.ts)).toHaveLength(1);
    expect(h.query('select * from tasks')).toHaveLength(1);
  });

  it('resumes unfinished work when Slack retries an event after a restart, with one answer', async () => {
    h.anthropic.script({
      kind: 'message',
      content: [{ type: 'text', text: 'never sent' }],
      gate: new Promise(() => {}),
    });
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline`);
    await deliver(mention(message), 'EvRestart');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the model is now holding the request
    await h.restart();
    await deliver(mention(message), 'EvRestart', 1);
    await h.app.idle();
    expect(h.query('select * from tasks')).toHaveLength(1);
    expect(h.anthropic.requests).toHaveLength(2);
    expect(h.anthropic.requests[1]?.body.messages).toEqual([{ role: 'user', content: 'design a pipeline' }]);
    const replies = botReplies(message.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.markdown_text).toContain('Data Architecture');
    expect(h.query<{ status: string }>('select status from tasks')[0]?.status).toBe('done');
  });

  it('answers replies that arrive while it is answering after that answer, together and in order', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    h.anthropic.script({ kind: 'message', content: [{ type: 'text', text: dataEngineeringAnswer() }], gate });
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline`);
    await deliver(mention(message), 'EvBusy');
    await until(() => h.anthropic.requests.length === 1); // the model is now answering the task
    await deliver(human(ANA, 'Sources are Postgres and Stripe.', message.ts), 'EvR1');
    await deliver(human(BEN, 'Budget is small.', message.ts), 'EvR2');
    release();
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(2);
    const last = h.anthropic.requests[1]?.body.messages.at(-1);
    expect(last).toEqual({ role: 'user', content: 'Sources are Postgres and Stripe.\n\nBudget is small.' });
    // The replies came before the first answer's first token; each answer is one whole message.
    const thread = h.slack.threadMessages(CHANNEL, message.ts).map((m) => (m.bot_id ? 'bot' : m.user));
    expect(thread).toEqual([ANA, ANA, BEN, 'bot', 'bot']);
    // The model saw the first answer before the replies it had not yet read.
    expect(h.anthropic.requests[1]?.body.messages.map((m: { role: string }) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
    ]);
  });

  it('ignores its own messages, other bots, edits, joins and threads it does not own', async () => {
    const parent = human(BEN, 'unrelated discussion');
    await deliver(human(ANA, 'a reply in a thread the bot does not own', parent.ts), 'EvX1');
    await deliver({ ...human(BEN, 'bot says hi'), bot_id: 'B0OTHER01', subtype: 'bot_message' }, 'EvX2');
    await deliver({ ...human(FAKE_BOT_USER_ID, 'my own message') }, 'EvX3');
    await deliver(
      { type: 'message', subtype: 'message_changed', channel: CHANNEL, ts: '1.2', hidden: true },
      'EvX4',
    );
    await deliver(
      { type: 'message', subtype: 'channel_join', channel: CHANNEL, user: ANA, ts: '1.3', text: 'joined' },
      'EvX5',
    );
    await deliver({ type: 'reaction_added', user: ANA, reaction: 'tada' }, 'EvX6');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(0);
    expect(h.query('select * from tasks')).toHaveLength(0);
    expect(h.slack.calls.filter((c) => c.method.startsWith('chat.'))).toHaveLength(0);
  });

  it('treats a direct message as a task and answers in its thread', async () => {
    h.slack.addChannel('D0ANA0001', { member: true, private: true });
    const dm = h.slack.seedMessage({
      channel: 'D0ANA0001',
      user: ANA,
      text: 'optimize my Redshift dashboards',
    });
    await deliver(
      { type: 'message', channel: 'D0ANA0001', channel_type: 'im', user: ANA, text: dm.text, ts: dm.ts },
      'EvDm',
    );
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(1);
    const replies = h.slack.threadMessages('D0ANA0001', dm.ts).filter((m) => m.ts !== dm.ts);
    expect(replies).toHaveLength(1);
  });

  it('asks clarifying questions, waits, and resumes with the answers from the next reply', async () => {
    h.anthropic.script(
      {
        kind: 'message',
        stopReason: 'tool_use',
        content: [
          {
            type: 'tool_use',
            name: 'ask_clarifying_questions',
            input: { questions: ['How many events a day?', 'How fresh must dashboards be?'] },
          },
        ],
      },
      textReply(dataEngineeringAnswer('Streaming pipeline')),
    );
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline for clickstream`);
    await deliver(mention(message), 'EvAsk');
    await h.app.idle();
    const [asked] = botReplies(message.ts);
    expect(asked?.markdown_text).toContain('1. How many events a day?');
    expect(asked?.markdown_text).toContain('2. How fresh must dashboards be?');
    expect(h.query<{ status: string }>('select status from tasks')[0]?.status).toBe('waiting_for_answers');
    const tools = h.anthropic.requests[0]?.body.tools as { name: string }[];
    expect(tools.map((t) => t.name)).toEqual([
      'ask_clarifying_questions',
      'request_collaboration',
      'run_sql',
      'publish_data_dictionary',
      'propose_quality_checks',
    ]);

    await deliver(human(ANA, 'About 2 billion a day; 5 minutes is fine.', message.ts), 'EvAnswers');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(2);
    const resumed = h.anthropic.requests[1]?.body.messages as { role: string; content: string }[];
    expect(resumed.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(resumed[1]?.content).toContain('How many events a day?');
    expect(resumed[2]?.content).toBe('About 2 billion a day; 5 minutes is fine.');
    const replies = botReplies(message.ts);
    expect(replies).toHaveLength(2);
    expect(replies[1]?.markdown_text).toContain('Data Engineering Solution: Streaming pipeline');
    expect(h.query<{ status: string }>('select status from tasks')[0]?.status).toBe('done');
  });

  it('keeps a 200-turn thread within the context budget and says so in the thread once', async () => {
    await h.close();
    h = await startHarness({ env: { MAX_CONTEXT_TOKENS: '8000' } });
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design the warehouse`);
    await deliver(mention(message), 'EvLong');
    await h.app.idle();
    // 200 earlier turns, written as the bot would have stored them.
    const writer = new Database(h.databasePath);
    const [task] = writer.prepare('select id, team_id from tasks').all() as { id: number; team_id: string }[];
    const insert = writer.prepare('insert into turns (team_id, task_id, role, content) values (?, ?, ?, ?)');
    for (let i = 0; i < 200; i++) {
      insert.run(
        task?.team_id,
        task?.id,
        i % 2 === 0 ? 'user' : 'assistant',
        `turn ${i}: ${'detail '.repeat(60)}`,
      );
    }
    writer.close();
    await deliver(human(BEN, 'What about GDPR deletes?', message.ts), 'EvLong1');
    await h.app.idle();
    await deliver(human(BEN, 'And backfills?', message.ts), 'EvLong2');
    await h.app.idle();
    for (const request of h.anthropic.requests.slice(1)) {
      const messages = request.body.messages as { role: 'user' | 'assistant'; content: string }[];
      const systemAndTools = JSON.stringify(request.body.system) + JSON.stringify(request.body.tools);
      expect(conversationTokens(messages) + systemAndTools.length / 3.5).toBeLessThanOrEqual(8_000);
      expect(messages[0]?.content).toContain('design the warehouse');
      expect(messages.at(-1)?.content).toMatch(/GDPR deletes|And backfills/);
    }
    const notes = h.slack.threadMessages(CHANNEL, message.ts).filter((m) => m.text?.includes('getting long'));
    expect(notes).toHaveLength(1);
  });

  it('offers a retry after a failure and retries when asked', async () => {
    const overloaded = { kind: 'error' as const, status: 529, type: 'overloaded_error' };
    h.anthropic.script(overloaded, overloaded, overloaded, textReply(dataEngineeringAnswer('Second try')));
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline`);
    await deliver(mention(message), 'EvFail');
    await h.app.idle();
    expect(botReplies(message.ts)[0]?.text).toContain('Reply `retry`');
    expect(h.query<{ status: string }>('select status from tasks')[0]?.status).toBe('failed');
    await deliver(human(ANA, 'retry', message.ts), 'EvRetry');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(4);
    expect(h.anthropic.requests[3]?.body.messages).toEqual([{ role: 'user', content: 'design a pipeline' }]);
    expect(botReplies(message.ts).at(-1)?.markdown_text).toContain('Data Engineering Solution: Second try');
    expect(h.query<{ status: string }>('select status from tasks')[0]?.status).toBe('done');
  });

  it('tells the person when it cannot read the thread it was mentioned in, and still answers', async () => {
    const parent = human(BEN, 'context the bot cannot read');
    const ask = human(ANA, `<@${FAKE_BOT_USER_ID}> can you help?`, parent.ts);
    h.slack.failNext('conversations.replies', { error: 'not_in_channel' });
    await deliver(mention(ask), 'EvNoRead');
    await h.app.idle();
    expect(h.slack.ephemerals.at(-1)?.text).toContain("couldn't read the earlier messages");
    expect(h.anthropic.requests[0]?.body.messages).toEqual([{ role: 'user', content: 'can you help?' }]);
    expect(botReplies(parent.ts)).toHaveLength(1);
  });

  it('says it cannot read files when a reply only carries files', async () => {
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}> design a pipeline`);
    await deliver(mention(message), 'EvF1');
    await h.app.idle();
    const reply = human(ANA, '', message.ts);
    await deliver({ ...reply, subtype: 'file_share', files: [{ id: 'F1', name: 'schema.sql' }] }, 'EvF2');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(1);
    expect(h.slack.ephemerals.at(-1)?.text).toContain("can't read attached files");
  });

  it('answers an empty mention with short private help', async () => {
    const message = human(ANA, `<@${FAKE_BOT_USER_ID}>`);
    await deliver(mention(message), 'EvEmpty');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(0);
    expect(h.slack.ephemerals[0]?.text).toContain('@data-engineer design a pipeline');
  });
});
