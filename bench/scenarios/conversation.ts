import { performance } from 'node:perf_hooks';
import { dataEngineeringAnswer } from '../../test/support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../../test/support/fake-slack.js';
import { startHarness, TEST_SECRETS } from '../../test/support/harness.js';
import { eventEnvelope, postSigned } from '../../test/support/slack-signing.js';
import { round } from '../stats.js';

export interface ConversationTurn {
  turn: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheReadShare: number;
  /** delivery of the message → first answer text in Slack, minus the model's time to first token */
  botAddedMs: number;
}

const CHANNEL = 'C0BENCH01';
const USER = 'U0BENCH01';

/**
 * A 10-turn thread: a mention, then nine follow-up replies, each after the previous answer. Reports
 * how much of each request's input the (simulated) prompt cache served, and the bot's own latency.
 */
export async function conversationScenario(
  turns = 10,
): Promise<{ turns: ConversationTurn[]; cacheReadShareTurns2to10: number }> {
  const h = await startHarness({ env: { LOG_LEVEL: 'warn' } });
  h.anthropic.setDefault({
    kind: 'message',
    content: [{ type: 'text', text: dataEngineeringAnswer() }],
    firstTokenDelayMs: 200,
    tokensPerSecond: 2000,
  });
  const results: ConversationTurn[] = [];
  try {
    let threadTs: string | undefined;
    for (let turn = 1; turn <= turns; turn++) {
      const text =
        turn === 1
          ? `<@${FAKE_BOT_USER_ID}> design a pipeline for user analytics`
          : `Refinement ${turn}: what changes if volume doubles?`;
      const seeded = h.slack.seedMessage({
        channel: CHANNEL,
        user: USER,
        text,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      threadTs ??= seeded.ts;
      const event = {
        type: turn === 1 ? 'app_mention' : 'message',
        channel: CHANNEL,
        channel_type: 'channel',
        user: USER,
        text,
        ts: seeded.ts,
        ...(turn > 1 ? { thread_ts: threadTs } : {}),
      };
      const callsBefore = h.slack.calls.length;
      const sentAt = performance.now();
      await postSigned(`${h.app.url}/slack/events`, eventEnvelope(event, { event_id: `EvBench${turn}` }), {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
      });
      await h.app.idle();
      const request = h.anthropic.requests.at(-1);
      const firstText = h.slack.calls
        .slice(callsBefore)
        .find(
          (c) => c.method === 'chat.startStream' || (c.method === 'chat.postMessage' && c.args.markdown_text),
        );
      const usage = request?.usage;
      if (!request?.firstByteAt || !firstText || !usage) throw new Error(`turn ${turn} produced no answer`);
      const total = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
      results.push({
        turn,
        inputTokens: total,
        cacheReadTokens: usage.cache_read_input_tokens,
        cacheWriteTokens: usage.cache_creation_input_tokens,
        cacheReadShare: round(usage.cache_read_input_tokens / total, 3),
        botAddedMs: round(firstText.at - sentAt - (request.firstByteAt - request.at)),
      });
    }
  } finally {
    await h.close();
  }
  const later = results.filter((r) => r.turn >= 2);
  const share =
    later.reduce((s, r) => s + r.cacheReadTokens, 0) / later.reduce((s, r) => s + r.inputTokens, 0);
  return { turns: results, cacheReadShareTurns2to10: round(share, 3) };
}
