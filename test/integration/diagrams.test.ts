import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { renderMermaidSVG } from 'beautiful-mermaid';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerDiagramRenderer } from '../../src/artifacts/worker-diagram-renderer.js';
import type { DiagramResult } from '../../src/core/artifacts/diagrams.js';

/**
 * Diagrams as pictures, through the real renderer (beautiful-mermaid → SVG → resvg → PNG in a worker
 * thread): the committed examples under docs/diagrams/ render to PNGs of sensible size that are mostly
 * light (not the black boxes resvg draws from the raw SVG), broken and oversized sources fail cleanly.
 */

const DIAGRAMS = join(import.meta.dirname, '..', '..', 'docs', 'diagrams');
const source = (name: string) => readFileSync(join(DIAGRAMS, name), 'utf8');
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Shares of dark pixels (all channels < 80) and of pixels that are not near-white, in a decoded PNG. */
function inkShares(png: Uint8Array): { dark: number; drawn: number; width: number; height: number } {
  const image = PNG.sync.read(Buffer.from(png));
  let dark = 0;
  let drawn = 0;
  const pixels = image.width * image.height;
  for (let i = 0; i < image.data.length; i += 4) {
    const [r, g, b, a] = [
      image.data[i] ?? 0,
      image.data[i + 1] ?? 0,
      image.data[i + 2] ?? 0,
      image.data[i + 3] ?? 0,
    ];
    if (a > 128 && r < 80 && g < 80 && b < 80) dark += 1;
    if (a > 128 && (r < 230 || g < 230 || b < 230)) drawn += 1;
  }
  return { dark: dark / pixels, drawn: drawn / pixels, width: image.width, height: image.height };
}

function expectPicture(result: DiagramResult): Extract<DiagramResult, { ok: true }> {
  if (!result.ok) throw new Error(`not rendered: ${result.message}`);
  expect([...result.png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const ink = inkShares(result.png);
  expect({ width: ink.width, height: ink.height }).toEqual({
    width: result.widthPx,
    height: result.heightPx,
  });
  expect(result.widthPx).toBeGreaterThanOrEqual(1_000);
  expect(result.widthPx).toBeLessThanOrEqual(2_400);
  expect(result.heightPx).toBeGreaterThanOrEqual(200);
  expect(result.heightPx).toBeLessThanOrEqual(1_600);
  // Text and lines are dark, but thin: a few percent of the picture. Black boxes would be most of it.
  expect(ink.dark).toBeLessThan(0.05);
  expect(ink.drawn).toBeGreaterThan(0.01);
  return result;
}

describe('diagrams: rendering', () => {
  const renderer = new WorkerDiagramRenderer();
  afterAll(() => renderer.stop());

  it('renders the orders ER diagram to a PNG with light boxes and dark text', async () => {
    expectPicture(await renderer.renderPng(source('example-er.mmd')));
  });

  it('renders the pipeline flowchart (subgraph, cylinders, quality gates, dotted edges)', async () => {
    expectPicture(await renderer.renderPng(source('example-pipeline.mmd')));
  });

  it('the raw SVG, as beautiful-mermaid writes it, comes out of resvg as black boxes (what the rewrite fixes)', () => {
    const raw = new Resvg(renderMermaidSVG(source('example-er.mmd')), { background: '#ffffff' }).render();
    expect(inkShares(raw.asPng()).dark).toBeGreaterThan(0.1);
  });

  it('renders diagrams one after another in the same worker thread', async () => {
    const before = renderer.starts;
    for (const text of ['flowchart TD\n  a[Extract] --> b[Load]', 'erDiagram\n  A ||--o{ B : has']) {
      expect((await renderer.renderPng(text)).ok).toBe(true);
    }
    expect(renderer.starts).toBe(Math.max(before, 1));
  });
});

describe('diagrams: failures', () => {
  const renderer = new WorkerDiagramRenderer();
  afterAll(() => renderer.stop());

  it('beautiful-mermaid alone draws a broken flowchart without a word (why the source is checked first)', () => {
    expect(() => renderMermaidSVG('flowchart LR\n  a[Extract] --> b[Load\n  b --> c')).not.toThrow();
  });

  it('a flowchart with an unclosed bracket fails with its line, without starting the renderer', async () => {
    const result = await renderer.renderPng('flowchart LR\n  a[Extract] --> b[Load\n  b --> c');
    expect(result).toMatchObject({ ok: false, kind: 'parse-error' });
    expect(!result.ok && result.message).toMatch(
      /^line 2: unbalanced brackets in `a\[Extract\] --> b\[Load`$/,
    );
    expect(renderer.starts).toBe(0);
  });

  it('an ER relationship without a label, an arrow without a target and an unknown kind fail clearly', async () => {
    const noLabel = await renderer.renderPng('erDiagram\n  A ||--o{ B');
    expect(!noLabel.ok && noLabel.message).toMatch(/^line 2: not an entity or a relationship/);
    const dangling = await renderer.renderPng('flowchart TD\n  a --> b\n  b -->');
    expect(!dangling.ok && dangling.message).toMatch(/^line 3: an arrow with no target/);
    const gantt = await renderer.renderPng('gantt\n  title Plan');
    expect(gantt).toMatchObject({ ok: false, kind: 'unsupported' });
    const prose = await renderer.renderPng('Here is the pipeline: extract, then load.');
    expect(prose).toMatchObject({ ok: false, kind: 'unsupported' });
  });

  it('a huge diagram is refused before any rendering (characters and lines)', async () => {
    const edges = Array.from({ length: 2_000 }, (_, i) => `  n${i}[Step ${i}] --> n${i + 1}[Step ${i + 1}]`);
    const huge = await renderer.renderPng(`flowchart LR\n${edges.join('\n')}`);
    expect(huge).toMatchObject({ ok: false, kind: 'too-large' });
    const tall = await renderer.renderPng(`flowchart LR\n${'  a --> b\n'.repeat(400)}`);
    expect(tall).toMatchObject({ ok: false, kind: 'too-large' });
    expect(!tall.ok && tall.message).toMatch(/lines \(at most 300\)/);
    expect(renderer.starts).toBe(0);
  });

  it('a render past its time limit ends the worker and says so; the next render starts a fresh one', async () => {
    // 1 ms is less than any render takes (starting the thread alone takes longer).
    const slow = new WorkerDiagramRenderer({ limits: { timeoutMs: 1 } });
    const result = await slow.renderPng(source('example-pipeline.mmd'));
    expect(result).toMatchObject({ ok: false, kind: 'timeout' });
    expect(slow.running).toBe(false);
    const again = await slow.renderPng('flowchart TD\n  a --> b');
    expect(again).toMatchObject({ ok: false, kind: 'timeout' });
    expect(slow.starts).toBe(2);
    await slow.stop();
  });
});
