import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerDiagramRenderer } from '../src/artifacts/worker-diagram-renderer.js';

/**
 * Renders every docs/diagrams/<name>.mmd to docs/<name>.png, the README's example pictures, through the
 * bot's own renderer. Run: `npx tsx scripts/render-examples.ts`.
 */

const docs = join(import.meta.dirname, '..', 'docs');
const renderer = new WorkerDiagramRenderer();
for (const file of readdirSync(join(docs, 'diagrams')).filter((f) => f.endsWith('.mmd'))) {
  const result = await renderer.renderPng(readFileSync(join(docs, 'diagrams', file), 'utf8'));
  const out = join(docs, file.replace(/\.mmd$/, '.png'));
  if (!result.ok) throw new Error(`${file}: ${result.message}`);
  writeFileSync(out, result.png);
  console.log(
    `${out}: ${result.widthPx}×${result.heightPx} px, ${result.png.length} bytes, ${result.elapsedMs} ms`,
  );
}
await renderer.stop();
