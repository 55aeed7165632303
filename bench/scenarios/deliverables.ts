import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DICTIONARY_INPUT, designAnswer } from '../../test/support/design-answer.js';
import { textReply } from '../../test/support/fake-anthropic.js';
import { startHarness } from '../../test/support/harness.js';
import { round, type Summary, summarise } from '../stats.js';

/**
 * (i) deliverables: a design answer with three code files, two mermaid diagrams (and one that does not
 * parse), DDL for two tables and a publish_data_dictionary call, asked as a new task each run, one after
 * another. Measured from the answer's last token (the fake Anthropic writes message_stop) to the last
 * artifact in the thread (the last files.completeUploadExternal reaching the fake Slack). That span
 * holds the post-answer steps: the block checks (DuckDB, the parsers), the files, the PNGs (worker
 * thread) and the dictionary (the DDL run in a fresh sandbox session). The first run also starts the
 * sandbox child and the diagram thread, so it is reported apart.
 */

export interface DeliverablesBench {
  runs: number;
  firstRunMs: number;
  lastTokenToLastArtifactMs: Summary;
  lastTokenToFirstArtifactMs: Summary;
  filesPerAnswer: number;
}

const CHANNEL = 'C0BENCH01';

export async function deliverablesScenario(runs = 20): Promise<DeliverablesBench> {
  const h = await startHarness({ env: { LOG_LEVEL: 'warn' } });
  const toLast: number[] = [];
  const toFirst: number[] = [];
  let files = 0;
  try {
    for (let run = 0; run < runs; run += 1) {
      h.anthropic.script(
        {
          kind: 'message',
          content: [{ type: 'tool_use', name: 'publish_data_dictionary', input: DICTIONARY_INPUT }],
        },
        { ...textReply(designAnswer()), tokensPerSecond: 4_000 },
      );
      const callsBefore = h.slack.calls.length;
      await h.command(`design a sessions mart, take ${run + 1}`, { channel_id: CHANNEL });
      await h.app.idle();
      const answer = h.anthropic.requests.at(-1);
      const shares = h.slack.calls
        .slice(callsBefore)
        .filter((c) => c.method === 'files.completeUploadExternal' && c.httpStatus === 200);
      const first = shares[0];
      const last = shares.at(-1);
      if (!answer?.lastByteAt || !first || !last) throw new Error(`run ${run + 1} delivered no files`);
      toLast.push(last.at - answer.lastByteAt);
      toFirst.push(first.at - answer.lastByteAt);
      files = shares.length;
    }
  } finally {
    await h.close();
  }
  return {
    runs,
    firstRunMs: round(toLast[0] ?? Number.NaN),
    lastTokenToLastArtifactMs: summarise(toLast.slice(1)),
    lastTokenToFirstArtifactMs: summarise(toFirst.slice(1)),
    filesPerAnswer: files,
  };
}

export function printDeliverablesBench(r: DeliverablesBench): void {
  console.log(
    `(i) deliverables: answer's last token → last artifact in the thread (${r.filesPerAnswer} files per answer: 3 code files, 2 PNGs, the dictionary CSV), ms`,
  );
  console.log(
    `first run (sandbox child and diagram thread start): ${r.firstRunMs}; later runs (n=${r.lastTokenToLastArtifactMs.n}): p50 ${r.lastTokenToLastArtifactMs.p50}, p99 ${r.lastTokenToLastArtifactMs.p99}, max ${r.lastTokenToLastArtifactMs.max}; to the first artifact p50 ${r.lastTokenToFirstArtifactMs.p50}\n`,
  );
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) printDeliverablesBench(await deliverablesScenario());
