import type { CodeBlock } from '../checks/code-blocks.js';
import { agentName, type CodeFile } from './file-names.js';
import { sanitisePath, unique } from './safe-path.js';

/**
 * Why this file exists: every ```mermaid block becomes a PNG, named by the agent (`file=…`) or by the
 * kind of diagram it draws, never colliding with the answer's code files. Pure.
 */

const DIAGRAM_KINDS: [RegExp, string][] = [
  [/^\s*erDiagram\b/, 'er-diagram'],
  [/^\s*(?:flowchart|graph)\b/, 'flowchart'],
  [/^\s*sequenceDiagram\b/, 'sequence'],
  [/^\s*classDiagram\b/, 'class-diagram'],
  [/^\s*stateDiagram/, 'state-diagram'],
];

/**
 * The PNG name of every ```mermaid block: the agent's name with `.png`, else its kind (`er-diagram.png`,
 * `flowchart.png`); unique among themselves and against `taken` (the answer's code files' paths).
 */
export function diagramFiles(blocks: CodeBlock[], taken: Iterable<string> = []): CodeFile[] {
  const used = new Set([...taken].map((p) => p.toLowerCase()));
  const files: CodeFile[] = [];
  for (const block of blocks) {
    if (block.language !== 'mermaid') continue;
    const named = agentName(block);
    const safe = named ? sanitisePath(named.replace(/\.[A-Za-z0-9]{1,10}$/, ''), 90) : '';
    const body = block.body.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('%%')) ?? '';
    const kind = DIAGRAM_KINDS.find(([pattern]) => pattern.test(body))?.[1] ?? `diagram-${block.index}`;
    const path = unique(`${safe || kind}.png`, used);
    used.add(path.toLowerCase());
    files.push({
      blockIndex: block.index,
      path,
      fileName: path.split('/').pop() ?? path,
      source: safe ? 'agent' : 'content',
    });
  }
  return files;
}
