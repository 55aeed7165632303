import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { type Harness, startHarness } from '../support/harness.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';

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
