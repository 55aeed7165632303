import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type MessageReply, sandboxedAnswerScript } from '../../test/support/fake-anthropic.js';
import { startHarness } from '../../test/support/harness.js';
import { round, type Summary, summarise } from '../stats.js';

/**
 * (g2) a whole checked answer through the real app (in-process, fake Slack and Anthropic, the real DuckDB
 * child): the model makes three run_sql rounds (a DDL that fails, the fix with 500 rows, the quality
 * checks), each reply after 300 ms, then streams the answer (400 ms to first token, 60 tokens/s); the bot
 * then checks the answer's blocks and posts the check message. Measured: each sandbox round trip
 * (model reply done → next request, i.e. the tool call and the bot's own handling), the checks after the
 * answer, and their share of the answer's total time (command → check message).
 */

export interface CheckedAnswerBench {
  answers: number;
  toolRoundTripMs: Summary;
  checksMs: Summary;
  blocksPerAnswer: number;
  totalMs: Summary;
  /** Checks' share of the answer's total time, p50 of the per-answer shares. */
  checksSharePct: number;
}

function paced(reply: MessageReply, final: boolean): MessageReply {
  return final ? { ...reply, firstTokenDelayMs: 400, tokensPerSecond: 60 } : { ...reply, delayMs: 300 };
}

export async function checkedAnswerScenario(answers = 5): Promise<CheckedAnswerBench> {
  const h = await startHarness({ env: { LOG_LEVEL: 'warn' }, tuning: { slackMinWriteIntervalMs: 1000 } });
  const trips: number[] = [];
  const checks: number[] = [];
  const totals: number[] = [];
  const shares: number[] = [];
  let blocks = 0;
  try {
    for (let i = 0; i < answers; i++) {
      const script = sandboxedAnswerScript();
      h.anthropic.script(...script.map((reply, n) => paced(reply, n === script.length - 1)));
      const callsBefore = h.slack.calls.length;
      const requestsBefore = h.anthropic.requests.length;
      const sentAt = performance.now();
      await h.command(`design an orders mart, variant ${i}`);
      await h.app.idle();
      const calls = h.slack.calls.slice(callsBefore);
      const requests = h.anthropic.requests.slice(requestsBefore).filter((r) => r.path === '/v1/messages');
      // A tool round's reply is sent 300 ms after its request arrived; the next request follows the tool.
      for (let n = 1; n < requests.length; n++) {
        trips.push((requests[n]?.at ?? 0) - (requests[n - 1]?.at ?? 0) - 300);
      }
      const answerEnd = calls.filter((c) => c.method === 'chat.stopStream').at(-1);
      const check = calls.find(
        (c) =>
          c.method === 'chat.postMessage' && String(c.args.text ?? '').includes('Code checked by the bot'),
      );
      if (!answerEnd || !check) throw new Error('checked-answer run produced no check message');
      blocks = (String(check.args.text).match(/^[✓✗–] Block/gm) ?? []).length;
      const total = check.at - sentAt;
      const checked = check.at - answerEnd.at;
      totals.push(total);
      checks.push(checked);
      shares.push(checked / total);
    }
  } finally {
    await h.close();
  }
  const sortedShares = [...shares].sort((a, b) => a - b);
  return {
    answers,
    toolRoundTripMs: summarise(trips),
    checksMs: summarise(checks),
    blocksPerAnswer: blocks,
    totalMs: summarise(totals),
    checksSharePct: round(100 * (sortedShares[Math.floor(sortedShares.length / 2)] ?? 0), 1),
  };
}

export function printCheckedAnswerBench(r: CheckedAnswerBench): void {
  console.log(`(g2) a checked answer end to end, ${r.answers} answers (ms)`);
  console.log(
    `run_sql round trip (tool call + bot handling): p50 ${r.toolRoundTripMs.p50}, p99 ${r.toolRoundTripMs.p99}; checks per answer (${r.blocksPerAnswer} blocks): p50 ${r.checksMs.p50}, p99 ${r.checksMs.p99}; answer total p50 ${r.totalMs.p50}; checks' share of the answer's time: ${r.checksSharePct}% (p50)\n`,
  );
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) printCheckedAnswerBench(await checkedAnswerScenario());
