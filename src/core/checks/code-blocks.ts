/**
 * Why this file exists: the block checker needs every fenced code block of an answer with its language,
 * its info string and where it sits, to check it and to point at the failing line. Pure.
 *
 * CommonMark fences: a line of at least three backticks or tildes, indented at most three spaces, opens a
 * block; a line of the same character, at least as long, and nothing else but spaces closes it (an
 * unclosed block runs to the end of the answer). A backtick fence's info string cannot hold a backtick.
 */

export interface CodeBlock {
  /** 1-based position among the answer's blocks. */
  index: number;
  /** The info string's first word, lower-cased ('' when none). */
  language: string;
  /** The whole info string, trimmed (e.g. `sql postgres`). */
  info: string;
  body: string;
  /** 1-based line of the opening fence in the answer. */
  line: number;
  /** 1-based line of the body's first line in the answer (line + 1). */
  bodyLine: number;
}

const OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;

export function extractCodeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = OPEN.exec(lines[i] ?? '');
    const fence = open?.[2];
    const info = (open?.[3] ?? '').trim();
    if (!open || !fence || (fence.startsWith('`') && info.includes('`'))) {
      i += 1;
      continue;
    }
    const indent = open[1]?.length ?? 0;
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j] ?? '')) {
      body.push(stripIndent(lines[j] ?? '', indent));
      j += 1;
    }
    blocks.push({
      index: blocks.length + 1,
      language: (info.split(/\s+/)[0] ?? '')
        .replace(/^\{?\.?/, '')
        .replace(/[},]$/, '')
        .toLowerCase(),
      info,
      body: body.join('\n'),
      line: i + 1,
      bodyLine: i + 2,
    });
    i = j + 1;
  }
  return blocks;
}

/** Content lines lose up to the opening fence's indentation, as CommonMark says. */
function stripIndent(line: string, indent: number): string {
  let n = 0;
  while (n < indent && line[n] === ' ') n += 1;
  return line.slice(n);
}

/** The answer's text outside code blocks (where a dialect line may be written). */
export function proseLines(markdown: string): string[] {
  const lines = markdown.split(/\r?\n/);
  const inBlock = new Set<number>();
  for (const block of extractCodeBlocks(markdown)) {
    const bodyLines = block.body === '' ? 0 : block.body.split('\n').length;
    for (let n = block.line - 1; n <= block.line + bodyLines; n += 1) inBlock.add(n);
  }
  return lines.filter((_, n) => !inBlock.has(n));
}
