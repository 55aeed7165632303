import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';
const SAM = 'U0SAM0001';

describe('Home tab', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { BOT_ADMINS: ANA } });
    for (const id of [ANA, SAM]) h.slack.addUser({ id });
  });
  afterEach(async () => {
    await h.close();
  });

  let n = 0;
  async function deliver(event: Record<string, unknown>): Promise<void> {
    n += 1;
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(event, { event_id: `EvHome${n}` }),
      {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
      },
    );
    expect(response.status).toBe(200);
    await h.app.idle();
  }

  const homeText = (user: string) => JSON.stringify(h.slack.homeViews.get(user)?.blocks ?? []);

  it('shows each person what waits on them, their recent tasks and the owners', async () => {
    await h.command(`owners set security <@${SAM}>`, { user_id: ANA, channel_id: CHANNEL });
    h.anthropic.script(
      {
        kind: 'message',
        content: [
          { type: 'tool_use', name: 'ask_clarifying_questions', input: { questions: ['How many rows?'] } },
        ],
      },
      {
        kind: 'message',
        content: [
          { type: 'text', text: '## Data Engineering Solution: Vault\n' },
          {
            type: 'tool_use',
            name: 'request_collaboration',
            input: {
              role: 'security',
              topic: 'Key rotation <!here>',
              request: 'Rotate the KMS key yearly.',
              reason: 'Compliance.',
            },
          },
        ],
      },
      textReply('Done.'),
    );
    for (const [i, text] of ['stream clickstream events', 'store customer emails safely'].entries()) {
      const message = h.slack.seedMessage({
        channel: CHANNEL,
        user: ANA,
        text: `<@${FAKE_BOT_USER_ID}> ${text}`,
      });
      await deliver({
        type: 'app_mention',
        channel: CHANNEL,
        user: ANA,
        text: `<@${FAKE_BOT_USER_ID}> ${text}`,
        ts: message.ts,
        i,
      });
    }
    await deliver({ type: 'app_home_opened', user: ANA, channel: 'D0ANA0001', tab: 'home' });
    await deliver({ type: 'app_home_opened', user: SAM, channel: 'D0SAM0001', tab: 'home' });

    const ana = homeText(ANA);
    expect(ana).toContain('Waiting on you');
    expect(ana).toMatch(/stream clickstream events> — I asked you a few questions/);
    expect(ana).toContain('store customer emails safely> — :white_check_mark: answered');
    expect(ana).toContain(`*Security* (encryption and access control): <@${SAM}>`);
    const sam = homeText(SAM);
    expect(sam).toMatch(/\*Security\*: <[^|]+\|Key rotation &lt;!here&gt;> — open for \d+ min/); // shown as text, never a broadcast
    expect(sam).toContain('None yet');
    expect(sam).not.toContain('<!here>');
  });

  it('ignores the Messages tab', async () => {
    await deliver({ type: 'app_home_opened', user: ANA, channel: 'D0ANA0001', tab: 'messages' });
    expect(h.slack.homeViews.size).toBe(0);
  });
});
