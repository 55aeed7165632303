import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/agent/tools.js';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';

/** Tools come from the registry (src/core/tool-registry.ts); this is what Claude actually receives. */
describe('agent tools on the wire', () => {
  let h: Harness;
  let events = 0;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** A human message in CHANNEL, delivered signed as Slack would; returns its ts. */
  async function say(text: string, threadTs?: string): Promise<string> {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    const event = {
      type: threadTs ? 'message' : 'app_mention',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text,
      ts: message.ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    events += 1;
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(event, { event_id: `EvTools${events}` }),
      {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
      },
    );
    expect(response.status).toBe(200);
    await h.app.idle();
    return message.ts;
  }

  it('questions the model asks through ask_clarifying_questions cannot mention anyone or hide a link', async () => {
    h.anthropic.script({
      kind: 'message',
      content: [
        {
          type: 'tool_use',
          name: 'ask_clarifying_questions',
          input: {
            questions: [
              'How many rows a day? <!channel> <@U0BOB0001> please answer',
              'Log in first at [the portal](https://evil.example/login) or @here',
            ],
          },
        },
      ],
    });
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> design an orders mart`);
    const posted = h.slack.calls
      .filter((c) => c.method.startsWith('chat.') && JSON.stringify(c.args).includes(threadTs))
      .map((c) => JSON.stringify(c.args))
      .join('\n');
    expect(posted).toContain('How many rows a day?');
    expect(posted).not.toMatch(/<!channel>|<!here>|<@U0BOB0001>|\]\(https/);
    expect(posted).toContain('the portal (https://evil.example/login)');
  });

  it('sends byte-identical tool definitions, in registry order, on every request of a thread', async () => {
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> design a pipeline for user analytics`);
    await say('And how would you backfill a year of events?', threadTs);
    expect(h.anthropic.requests).toHaveLength(2);
    const [first, second] = h.anthropic.requests.map((r) => JSON.stringify(r.body.tools));
    expect(second).toBe(first);
    expect(first).toBe(JSON.stringify(TOOLS));
    const names = ((h.anthropic.requests[0]?.body.tools ?? []) as { name: string }[]).map((t) => t.name);
    expect(names).toEqual([
      'ask_clarifying_questions',
      'request_collaboration',
      'run_sql',
      'publish_data_dictionary',
      'propose_quality_checks',
    ]);
  });

  it('sends refused tool input back as an error result and lets the model finish the answer', async () => {
    h.anthropic.script(
      {
        kind: 'message',
        content: [
          { type: 'text', text: '## Data Engineering Solution: Orders mart\n' },
          { type: 'tool_use', name: 'request_collaboration', input: { role: 'dba', topic: 'x' } },
        ],
      },
      textReply(dataEngineeringAnswer('Orders mart, continued')),
    );
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> design an orders mart`);
    expect(h.anthropic.requests).toHaveLength(2);
    const sent = h.anthropic.requests[1]?.body.messages as { role: string; content: unknown }[];
    const results = sent.at(-1)?.content as { type: string; is_error?: boolean; content: string }[];
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ type: 'tool_result', is_error: true });
    expect(results[0]?.content).toMatch(/^Not recorded: role: .*topic: .*request: .*reason: /);
    expect(h.query('select * from collaboration_requests')).toHaveLength(0);
    const answer = h.slack.threadMessages(CHANNEL, threadTs).filter((m) => m.bot_id);
    expect(answer.map((m) => m.markdown_text).join('')).toContain('Orders mart, continued');
    expect(h.query<{ status: string }>('select status from tasks')[0]?.status).toBe('done');
  });
});
