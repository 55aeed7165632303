import type { BlockCheck } from './check-blocks.js';
import { type CodeBlock, extractCodeBlocks } from './code-blocks.js';

/**
 * Why this file exists: the one automatic repair round. When blocks of a posted answer fail their check,
 * the bot sends the failures back to the model once (repairRequest), reads the corrected blocks from its
 * reply (correctedBlocks), and re-checks them in the context of the whole answer (withCorrections, then
 * checkAnswerBlocks), so a corrected INSERT still finds the tables of the earlier blocks. Pure.
 */

/** The message to the model listing each ✗ block, or undefined when nothing failed. */
export function repairRequest(checks: BlockCheck[]): string | undefined {
  const failed = checks.filter((c) => c.status === 'failed');
  if (failed.length === 0) return undefined;
  const lines = failed.map((c) => {
    const where = c.errorLine === undefined ? '' : ` at line ${c.errorLine} of the block`;
    return `- Block ${c.index} (${c.language}${c.dialect ? `, ${c.dialect}` : ''}) failed${where}: ${c.error ?? 'failed'}`;
  });
  return [
    'The bot checked the code blocks of your answer. These failed:',
    ...lines,
    '',
    'Reply with only the corrected blocks. For each one, write a line "Block N" (its number above) and then the whole corrected block as a fenced code block with the same info string. Do not repeat blocks that passed and add nothing else.',
  ].join('\n');
}

/** The corrected blocks of a repair reply, by block number; only numbers that failed are taken. */
export function correctedBlocks(reply: string, failedIndexes: number[]): Map<number, CodeBlock> {
  const wanted = new Set(failedIndexes);
  const lines = reply.split(/\r?\n/);
  const found = new Map<number, CodeBlock>();
  for (const block of extractCodeBlocks(reply)) {
    const index = markerBefore(lines, block.line - 1);
    if (index !== undefined && wanted.has(index) && !found.has(index)) found.set(index, block);
  }
  // A reply with a single block and no marker corrects the single failed block.
  if (found.size === 0 && wanted.size === 1) {
    const blocks = extractCodeBlocks(reply);
    const [only] = wanted;
    if (blocks.length === 1 && blocks[0] && only !== undefined) found.set(only, blocks[0]);
  }
  return found;
}

/** The nearest "Block N" line above the fence at 0-based line `fenceLine`, within three lines. */
function markerBefore(lines: string[], fenceLine: number): number | undefined {
  for (let n = fenceLine - 1; n >= Math.max(0, fenceLine - 3); n -= 1) {
    const match = /^[\s#*_]*(?:corrected\s+)?block\s+(\d+)\b/i.exec(lines[n] ?? '');
    if (match) return Number(match[1]);
    if ((lines[n] ?? '').trim().startsWith('```')) return undefined;
  }
  return undefined;
}

/** The answer with the bodies of the given blocks replaced (the fences and everything else unchanged). */
export function withCorrections(answer: string, corrections: Map<number, CodeBlock>): string {
  const lines = answer.split(/\r?\n/);
  const blocks = extractCodeBlocks(answer);
  // From the last block up, so earlier line numbers stay valid.
  for (const block of [...blocks].reverse()) {
    const corrected = corrections.get(block.index);
    if (!corrected) continue;
    const bodyLines = block.body === '' ? 0 : block.body.split('\n').length;
    // Content lines of an indented fence carry its indentation (extraction stripped it).
    const indent = /^ */.exec(lines[block.line - 1] ?? '')?.[0] ?? '';
    const body = corrected.body.split('\n').map((line) => (line === '' ? line : indent + line));
    lines.splice(block.bodyLine - 1, bodyLines, ...body);
  }
  return lines.join('\n');
}
