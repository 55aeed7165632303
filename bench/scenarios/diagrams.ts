import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { renderDiagramPng } from '../../src/artifacts/diagram-png.js';
import { WorkerDiagramRenderer } from '../../src/artifacts/worker-diagram-renderer.js';
import { DEFAULT_DIAGRAM_LIMITS } from '../../src/core/artifacts/diagrams.js';
import { round, type Summary, summarise } from '../stats.js';

/**
 * (h) diagrams as pictures: the README's two examples (an orders ER diagram, a pipeline flowchart)
 * rendered the way the bot renders them (worker thread: check, beautiful-mermaid, CSS resolution, resvg),
 * one after another. Reports the first render (thread start + layout engine and fonts loading), later
 * renders p50/p99, the same work done in-process (why it runs in a worker: the p50 is far above 50 ms),
 * the bot's event-loop delay while the worker renders, and the PNG sizes.
 * Run alone: `npm run bench:diagrams` (not yet in bench/run.ts).
 */

export interface DiagramsBench {
  firstRenderMs: number;
  renderMs: Summary;
  inProcessMs: Summary;
  loopDelayP99Ms: number;
  /** The same measure over as long a time with nothing rendering (the machine's own noise). */
  idleLoopDelayP99Ms: number;
  png: { name: string; widthPx: number; heightPx: number; bytes: number }[];
}

const docs = resolve(fileURLToPath(import.meta.url), '../../../docs/diagrams');
const EXAMPLES = ['example-er.mmd', 'example-pipeline.mmd'].map((name) => ({
  name,
  source: readFileSync(join(docs, name), 'utf8'),
}));

export async function diagramsScenario(options: { renders?: number } = {}): Promise<DiagramsBench> {
  const renders = options.renders ?? 40;
  const renderer = new WorkerDiagramRenderer();
  const started = performance.now();
  const first = await renderer.renderPng(EXAMPLES[0]?.source ?? '');
  const firstRenderMs = round(performance.now() - started, 1);
  if (!first.ok) throw new Error(first.message);

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const times: number[] = [];
  const png: DiagramsBench['png'] = [];
  for (let i = 0; i < renders; i += 1) {
    const example = EXAMPLES[i % EXAMPLES.length];
    if (!example) continue;
    const t = performance.now();
    const result = await renderer.renderPng(example.source);
    times.push(performance.now() - t);
    if (!result.ok) throw new Error(`${example.name}: ${result.message}`);
    if (i < EXAMPLES.length) {
      png.push({
        name: example.name,
        widthPx: result.widthPx,
        heightPx: result.heightPx,
        bytes: result.png.length,
      });
    }
  }
  loop.disable();
  await renderer.stop();
  const renderingMs = times.reduce((a, b) => a + b, 0);
  const idle = monitorEventLoopDelay({ resolution: 5 });
  idle.enable();
  await new Promise((r) => setTimeout(r, Math.min(renderingMs, 10_000)));
  idle.disable();

  const inProcess: number[] = [];
  for (let i = 0; i < Math.min(renders, 20); i += 1) {
    const t = performance.now();
    renderDiagramPng(EXAMPLES[i % EXAMPLES.length]?.source ?? '', DEFAULT_DIAGRAM_LIMITS);
    inProcess.push(performance.now() - t);
  }
  return {
    firstRenderMs,
    renderMs: summarise(times),
    inProcessMs: summarise(inProcess.slice(2)),
    loopDelayP99Ms: round(loop.percentile(99) / 1e6, 1),
    idleLoopDelayP99Ms: round(idle.percentile(99) / 1e6, 1),
    png,
  };
}

export function printDiagramsBench(r: DiagramsBench): void {
  console.log('(h) diagrams: mermaid → PNG in a worker thread (ms)');
  console.log(
    `one diagram, first render (thread start, layout engine and fonts): ${r.firstRenderMs}; later renders (n=${r.renderMs.n}): p50 ${r.renderMs.p50}, p99 ${r.renderMs.p99}, max ${r.renderMs.max}`,
  );
  console.log(
    `same work in-process: p50 ${r.inProcessMs.p50}, p99 ${r.inProcessMs.p99} (threshold for in-process: 50); bot event-loop delay while rendering: p99 ${r.loopDelayP99Ms} (idle, same machine: p99 ${r.idleLoopDelayP99Ms})`,
  );
  console.log(
    `PNGs: ${r.png.map((p) => `${p.name} ${p.widthPx}×${p.heightPx} px ${Math.round(p.bytes / 1024)} KB`).join('; ')}\n`,
  );
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) printDiagramsBench(await diagramsScenario());
