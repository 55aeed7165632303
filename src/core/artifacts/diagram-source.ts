import type { DiagramLimits, DiagramResult } from './diagrams.js';

/**
 * Why this file exists: the diagram renderer (beautiful-mermaid) is lenient: a line it cannot read is
 * dropped without a word, so a broken diagram would come out as a half-empty picture. Before rendering,
 * this checks the input's size and, for the two kinds the bot asks for (flowcharts and ER diagrams), that
 * every line is one the renderer understands. A refusal names the line, for the one-line note. Pure.
 */

type Failure = Extract<DiagramResult, { ok: false }>;

const KINDS: { header: RegExp; name: string; lint?: (lines: SourceLine[]) => Failure | undefined }[] = [
  { header: /^(?:graph|flowchart)\s+(?:TD|TB|LR|BT|RL)\s*;?$/i, name: 'flowchart', lint: lintFlowchart },
  { header: /^erDiagram\s*$/, name: 'erDiagram', lint: lintErDiagram },
  { header: /^sequenceDiagram\s*$/, name: 'sequenceDiagram' },
  { header: /^classDiagram\s*$/, name: 'classDiagram' },
  { header: /^stateDiagram(?:-v2)?\s*$/, name: 'stateDiagram' },
];

interface SourceLine {
  /** 1-based line in the diagram source. */
  n: number;
  text: string;
}

/** undefined when the source may be rendered; else why not. */
export function checkDiagramSource(source: string, limits: DiagramLimits): Failure | undefined {
  if (source.length > limits.maxSourceChars) {
    return tooLarge(`${source.length} characters (at most ${limits.maxSourceChars})`);
  }
  const all = source.split(/\r?\n/);
  if (all.length > limits.maxLines) return tooLarge(`${all.length} lines (at most ${limits.maxLines})`);
  const lines = all
    .map((text, i) => ({ n: i + 1, text: text.trim() }))
    .filter((line) => line.text !== '' && !line.text.startsWith('%%'));
  const [header, ...body] = lines;
  if (!header) return { ok: false, kind: 'parse-error', message: 'the diagram is empty' };
  const kind = KINDS.find((k) => k.header.test(header.text));
  if (!kind) {
    const first = /^[\w-]+/.exec(header.text)?.[0] ?? header.text.slice(0, 30);
    if (/^(?:graph|flowchart)\b/i.test(first)) {
      return parseError(header, 'a flowchart needs a direction (`flowchart LR`, `flowchart TD`)');
    }
    return {
      ok: false,
      kind: 'unsupported',
      message: `\`${first}\` diagrams are not drawn (flowchart, erDiagram, sequenceDiagram, classDiagram and stateDiagram are)`,
    };
  }
  if (body.length === 0) return parseError(header, 'the diagram has nothing but its header');
  return kind.lint?.(body);
}

function tooLarge(what: string): Failure {
  return { ok: false, kind: 'too-large', message: `the diagram is too large to draw: ${what}` };
}

function parseError(line: SourceLine, why: string): Failure {
  const shown = line.text.length > 60 ? `${line.text.slice(0, 59)}…` : line.text;
  return { ok: false, kind: 'parse-error', message: `line ${line.n}: ${why} in \`${shown}\`` };
}

const FLOWCHART_KEYWORD =
  /^(?:subgraph\b|end\s*;?$|direction\s|classDef\s|class\s|style\s|linkStyle\s|click\s)/;
const NODE_START = /^[\p{L}\p{N}_]/u;
const TRAILING_ARROW = /(?:<?-{2,}>?|<?-\.+->?|<?={2,}>?)\s*$/;
const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

function lintFlowchart(lines: SourceLine[]): Failure | undefined {
  let open = 0;
  for (const line of lines) {
    const text = line.text.replace(/;\s*$/, '');
    if (FLOWCHART_KEYWORD.test(text)) {
      if (text.startsWith('subgraph')) open += 1;
      else if (/^end\b/.test(text)) {
        if (open === 0) return parseError(line, '`end` without a `subgraph`');
        open -= 1;
      }
      continue;
    }
    if (!NODE_START.test(text)) return parseError(line, 'a line that is not a node, an edge or a keyword');
    // Labels may hold any character: brackets are counted outside quotes and |edge labels| only.
    // The flag shape `id>text]` opens with `>`: counted as `id[text]`.
    const bare = text
      .replace(/"[^"]*"/g, '""')
      .replace(/\|[^|]*\|/g, '||')
      .replace(/(\w)>([^\]]*)\]/g, '$1[$2]');
    if (!balanced(bare)) return parseError(line, 'unbalanced brackets');
    if (TRAILING_ARROW.test(bare)) return parseError(line, 'an arrow with no target');
  }
  if (open > 0) return parseError(lines[lines.length - 1] as SourceLine, 'a `subgraph` without its `end`');
  return undefined;
}

function balanced(text: string): boolean {
  const stack: string[] = [];
  for (const ch of text) {
    if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
    else if (ch in PAIRS && stack.pop() !== PAIRS[ch]) return false;
  }
  return stack.length === 0;
}

/** The renderer's own patterns (beautiful-mermaid src/er/parser.ts), so what passes here is drawn. */
const ER_ENTITY_OPEN = /^\S+\s*\{$/;
const ER_RELATIONSHIP = /^\S+\s+[|o}{]+(?:--|\.\.)[|o}{]+\s+\S+\s*:\s*.+$/;
const ER_ATTRIBUTE = /^\S+\s+\S+(?:\s+.+)?$/;

function lintErDiagram(lines: SourceLine[]): Failure | undefined {
  let entity: SourceLine | undefined;
  for (const line of lines) {
    if (entity) {
      if (line.text === '}') entity = undefined;
      else if (!ER_ATTRIBUTE.test(line.text)) {
        return parseError(line, 'an attribute needs a type and a name (`bigint order_id PK`)');
      }
      continue;
    }
    if (ER_ENTITY_OPEN.test(line.text)) entity = line;
    else if (/^direction\s/.test(line.text)) continue;
    else if (!ER_RELATIONSHIP.test(line.text)) {
      return parseError(
        line,
        'not an entity or a relationship (`CUSTOMERS ||--o{ ORDERS : places`, with a label)',
      );
    }
  }
  if (entity) return parseError(entity, 'an entity without its closing `}`');
  return undefined;
}
