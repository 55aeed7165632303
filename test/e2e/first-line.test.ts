import { afterEach, describe, expect, it } from 'vitest';
import { textReply } from '../support/fake-anthropic.js';
import { type Harness, startHarness } from '../support/harness.js';

const HEADING = '## Data Engineering Solution: Hourly revenue pipeline';
const ANSWER = `${HEADING}\n\n### Data Architecture\n- Orders land in \`raw.orders\` from CDC.\n\nUse dbt for the marts.\n`;

/**
 * The first write of an answer opens with a readable line (the whole heading), not the model's first
 * few characters: the next write must keep the 1 write/s pace, so a fragment would stay alone a second.
 */
describe('the first line of an answer', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  /** The text of the first write that created the answer's message (stream or post). */
  const firstWrite = (): string => {
    const first = h.slack.calls.find(
      (c) =>
        (c.method === 'chat.startStream' || c.method === 'chat.postMessage') &&
        c.response?.ok &&
        c.args.thread_ts &&
        (c.args.chunks || c.args.markdown_text),
    );
    if (!first) return '';
    if (first.method === 'chat.postMessage') return String(first.args.markdown_text);
    return (first.args.chunks as { text?: string }[]).map((c) => c.text ?? '').join('');
  };

  it('opens the stream with the whole heading while the model sends it in small pieces', async () => {
    // No deadline in play: only the order of the model's pieces and Slack's writes counts.
    h = await startHarness({ tuning: { slackFirstLineWaitMs: 60_000 } });
    h.anthropic.script(textReply(ANSWER, { tokensPerSecond: 100 }));
    await h.command('design an hourly revenue pipeline');
    await h.app.idle();
    // The model sent the heading in several deltas (4–12 characters each)…
    expect(HEADING.length).toBeGreaterThan(12 * 3);
    // …and the first Slack write carries all of it.
    expect(firstWrite().startsWith(`${HEADING}\n`)).toBe(true);
    const answer = h.slack.messages.find((m) => m.markdown_text !== undefined);
    expect(answer?.markdown_text?.trim()).toBe(ANSWER.trim());
  });

  it('does the same when Slack refuses streaming and the answer is posted and edited', async () => {
    h = await startHarness({ tuning: { slackFirstLineWaitMs: 60_000 } });
    h.slack.refuseStreaming();
    h.anthropic.script(textReply(ANSWER, { tokensPerSecond: 100 }));
    await h.command('design an hourly revenue pipeline');
    await h.app.idle();
    expect(firstWrite().startsWith(`${HEADING}\n`)).toBe(true);
  });

  it('opens with about 80 characters when the first line is longer', async () => {
    const longLine = `${'Partition the orders table by day and cluster it by customer so that '.repeat(5)}done.`;
    h = await startHarness({ tuning: { slackFirstLineWaitMs: 60_000 } });
    h.anthropic.script(textReply(`${longLine}\nNext line.`, { tokensPerSecond: 100 }));
    await h.command('how should I lay out the orders table?');
    await h.app.idle();
    expect(firstWrite().length).toBeGreaterThanOrEqual(80);
    expect(firstWrite().length).toBeLessThan(longLine.length);
  });

  it('does not wait for a slow model: what has arrived is shown before the line is complete', async () => {
    h = await startHarness(); // the production wait (250 ms)
    // Four tokens a second: the heading alone would take about three seconds.
    h.anthropic.script(textReply(`${HEADING}\nok`, { tokensPerSecond: 4 }));
    await h.command('design an hourly revenue pipeline');
    await h.app.idle();
    expect(firstWrite().length).toBeGreaterThan(0);
    expect(firstWrite().length).toBeLessThan(HEADING.length);
  });
});
