import { describe, expect, it } from 'vitest';
import { erKeyLists } from '../../src/artifacts/diagram-png.js';
import { resolveColour, svgForResvg } from '../../src/artifacts/svg-for-resvg.js';
import { checkDiagramSource } from '../../src/core/artifacts/diagram-source.js';
import { DEFAULT_DIAGRAM_LIMITS } from '../../src/core/artifacts/diagrams.js';

const check = (text: string) => checkDiagramSource(text, DEFAULT_DIAGRAM_LIMITS);

describe('checkDiagramSource', () => {
  it('accepts flowcharts with subgraphs, labels, shapes, styles and comments', () => {
    const text = [
      '%% the pipeline',
      'flowchart LR',
      '  subgraph src[Sources (OLTP)]',
      '    pg[(Postgres)] -->|"CDC (Debezium)"| k[Kafka]',
      '  end',
      '  k --> s{Valid?} -.->|no| q[Quarantine]',
      '  a & b --> c;',
      '  c --> f>Flag] --> h{{Hex}} --> t[/Trap\\] --> r((Round))',
      '  classDef warn fill:#fee',
      '  class q warn',
      '  style k stroke:#f00',
    ].join('\n');
    expect(check(text)).toBeUndefined();
  });

  it('accepts ER diagrams with attributes, keys, comments and quoted labels', () => {
    const text =
      'erDiagram\n  A ||--o{ B : "has many"\n  A {\n    bigint id PK "surrogate"\n    decimal(12,2) x\n  }';
    expect(check(text)).toBeUndefined();
  });

  it.each([
    ['flowchart\n  a --> b', /^line 1: a flowchart needs a direction/],
    ['flowchart LR\n  end', /^line 2: `end` without a `subgraph`/],
    ['flowchart LR\n  subgraph x\n  a --> b', /^line 3: a `subgraph` without its `end`/],
    ['flowchart LR\n  --> b', /^line 2: a line that is not a node/],
    ['flowchart LR\n  a(Load] --> b', /^line 2: unbalanced brackets/],
    ['erDiagram\n  A {\n    id\n  }', /^line 3: an attribute needs a type and a name/],
    ['erDiagram\n  A {\n    bigint id', /^line 2: an entity without its closing/],
    ['erDiagram', /^line 1: the diagram has nothing but its header/],
    ['', /^the diagram is empty$/],
  ])('refuses %j', (text, message) => {
    const result = check(text);
    expect(result?.kind).toBe('parse-error');
    expect(result?.message).toMatch(message);
  });

  it('cuts a long line in the note', () => {
    const result = check(`flowchart LR\n  a[${'x'.repeat(200)} --> b`);
    expect(result?.message.length).toBeLessThan(120);
    expect(result?.message).toMatch(/…`$/);
  });
});

describe('svgForResvg', () => {
  const vars = new Map([
    ['--bg', '#FFFFFF'],
    ['--fg', '#27272A'],
    ['--_line', 'var(--line, color-mix(in srgb, var(--fg) 50%, var(--bg)))'],
  ]);

  it('resolves var() with fallbacks and color-mix() to #rrggbb', () => {
    expect(resolveColour('var(--fg)', vars)).toBe('#27272a');
    // 50 % of (39, 39, 42) and (255, 255, 255), rounded.
    expect(resolveColour('var(--_line)', vars)).toBe('#939395');
    expect(resolveColour('color-mix(in srgb, #000 25%, #fff)', vars)).toBe('#bfbfbf');
    expect(resolveColour('none', vars)).toBe('none');
    expect(resolveColour('var(--missing)', vars)).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('leaves no var(), color-mix(), @import or web font in the SVG', () => {
    const svg = [
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" style="--bg:#FFFFFF;--fg:#27272A;background:var(--bg)">',
      "<style>\n  @import url('https://fonts.googleapis.com/css2?family=Inter:wght@400;500&amp;display=swap');",
      "  text { font-family: 'Inter', system-ui, sans-serif; }\n  .mono { font-family: 'JetBrains Mono', monospace; }",
      '  svg { --_node-fill: var(--surface, color-mix(in srgb, var(--fg) 3%, var(--bg))); }\n</style>',
      '<rect fill="var(--_node-fill)" stroke="var(--fg)" style="fill:var(--bg);opacity:1"/>',
      '<text fill="#123456">x</text></svg>',
    ].join('\n');
    const out = svgForResvg(svg);
    expect(out).not.toMatch(/var\(|color-mix|@import|Inter|JetBrains/);
    expect(out).toContain('fill="#f9f9f9"');
    expect(out).toContain('stroke="#27272a"');
    expect(out).toContain('style="fill:#ffffff;opacity:1"');
    expect(out).toContain("text { font-family: 'DejaVu Sans'; }");
    expect(out).toContain(".mono { font-family: 'DejaVu Sans Mono'; }");
    expect(out).toContain('fill="#123456"');
  });

  it('rewrites ER key lists so both badges show', () => {
    expect(erKeyLists('erDiagram\n  T {\n    bigint id PK, FK\n  }')).toContain('bigint id PK FK');
    expect(erKeyLists('flowchart LR\n  a[PK, FK] --> b')).toContain('PK, FK');
  });
});
