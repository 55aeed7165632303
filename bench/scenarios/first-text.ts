import { performance } from 'node:perf_hooks';
import { dataEngineeringAnswer } from '../../test/support/fake-anthropic.js';
import type { RecordedCall } from '../../test/support/fake-slack.js';
import { startHarness } from '../../test/support/harness.js';
import { round } from '../stats.js';

export interface FirstTextRun {
  commandToFirstTextMs: number;
  modelFirstTokenDelayMs: number;
  /** command → first answer text in Slack, minus the model's own time to first token */
  botOverheadMs: number;
  /** model's first token → that text arriving at Slack */
  firstTokenToSlackMs: number;
  /** model's first token → the answer's whole first line (its heading) shown in Slack */
  firstTokenToReadableLineMs: number;
  slackCallsPerAnswer: number;
  /** smallest gap between two writes to the same message */
  minWriteGapMs: number;
  messagesInAnswer: number;
}

const WRITES = new Set([
  'chat.startStream',
  'chat.appendStream',
  'chat.stopStream',
  'chat.update',
  'chat.postMessage',
]);

/**
 * (b) first text: a fake model that waits 400 ms before its first token, then streams 60 tokens/s.
 * Runs `runs` commands one after another with the production write pacing (1 write/s per message).
 */
export async function firstTextScenario(runs = 3): Promise<FirstTextRun[]> {
  const h = await startHarness({ env: { LOG_LEVEL: 'warn' }, tuning: { slackMinWriteIntervalMs: 1000 } });
  h.anthropic.setDefault({
    kind: 'message',
    content: [{ type: 'text', text: dataEngineeringAnswer() }],
    firstTokenDelayMs: 400,
    tokensPerSecond: 60,
  });
  const results: FirstTextRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const callsBefore = h.slack.calls.length;
      const requestsBefore = h.anthropic.requests.length;
      const sentAt = performance.now();
      await h.command(`design a pipeline for user analytics, variant ${i}`);
      await h.app.idle();
      const calls = h.slack.calls.slice(callsBefore);
      const request = h.anthropic.requests[requestsBefore];
      const parentTs = calls.find((c) => c.method === 'chat.postMessage' && !c.args.thread_ts)?.response?.ts;
      // The Stop button's own message is posted before the model is called: it is not answer text.
      const stopControls = new Set(
        calls
          .filter(
            (c) =>
              c.method === 'chat.postMessage' && JSON.stringify(c.args.blocks ?? '').includes('task_stop'),
          )
          .map((c) => c.response?.ts)
          .filter(Boolean),
      );
      const isStopControl = (c: RecordedCall) =>
        stopControls.has(c.response?.ts) || stopControls.has(c.args.ts);
      // Writes into the thread, and the follow-up writes (append/stop/update) to the messages they created.
      const inThread = new Set(
        calls
          .filter((c) => WRITES.has(c.method) && parentTs && c.args.thread_ts === parentTs)
          .map((c) => c.response?.ts)
          .filter(Boolean),
      );
      const answerWrites = calls.filter(
        (c) =>
          WRITES.has(c.method) &&
          !isStopControl(c) &&
          ((parentTs && c.args.thread_ts === parentTs) || inThread.has(c.args.ts)),
      );
      const firstWrite = answerWrites[0];
      const readableLine = firstReadableLineWrite(answerWrites);
      if (!request?.firstByteAt || !firstWrite || !readableLine)
        throw new Error('first-text run produced no answer');
      const commandToFirstText = firstWrite.at - sentAt;
      const modelDelay = request.firstByteAt - request.at;
      results.push({
        commandToFirstTextMs: round(commandToFirstText),
        modelFirstTokenDelayMs: round(modelDelay),
        botOverheadMs: round(commandToFirstText - modelDelay),
        firstTokenToSlackMs: round(firstWrite.at - request.firstByteAt),
        firstTokenToReadableLineMs: round(readableLine.at - request.firstByteAt),
        slackCallsPerAnswer: calls.length,
        minWriteGapMs: round(minGapPerMessage(answerWrites)),
        messagesInAnswer: new Set(answerWrites.map(messageTs)).size,
      });
    }
    return results;
  } finally {
    await h.close();
  }
}

/** The write after which the first message shows a complete first line (what the reader can read). */
function firstReadableLineWrite(writes: RecordedCall[]): RecordedCall | undefined {
  const first = writes[0];
  if (!first) return undefined;
  const ts = messageTs(first);
  let shown = '';
  for (const write of writes.filter((w) => messageTs(w) === ts)) {
    if (typeof write.args.markdown_text === 'string') shown = write.args.markdown_text;
    for (const chunk of (write.args.chunks ?? []) as { text?: string }[]) shown += chunk.text ?? '';
    if (shown.trimStart().includes('\n')) return write;
  }
  return undefined;
}

function messageTs(call: RecordedCall): string {
  return call.args.ts ?? call.response?.ts ?? '';
}

function minGapPerMessage(writes: RecordedCall[]): number {
  const byMessage = new Map<string, number[]>();
  for (const write of writes) {
    const key = messageTs(write);
    byMessage.set(key, [...(byMessage.get(key) ?? []), write.at]);
  }
  let min = Number.POSITIVE_INFINITY;
  for (const times of byMessage.values()) {
    for (let i = 1; i < times.length; i++) min = Math.min(min, (times[i] ?? 0) - (times[i - 1] ?? 0));
  }
  return min;
}
