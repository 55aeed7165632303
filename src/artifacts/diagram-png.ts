import { Resvg } from '@resvg/resvg-js';
import { renderMermaidSVG } from 'beautiful-mermaid';
import type { DiagramLimits } from '../core/artifacts/diagrams.js';
import { DEJAVU_FONTS, svgForResvg } from './svg-for-resvg.js';

/**
 * Why this file exists: one mermaid source to one PNG, in-process and without a browser:
 * beautiful-mermaid lays the diagram out (ELK) and writes an SVG, svgForResvg makes that SVG drawable by
 * resvg, and resvg rasterises it with the installed DejaVu fonts. Synchronous and CPU-bound (tens of ms,
 * hundreds on first use): the bot calls it only through the worker (worker-diagram-renderer.ts).
 */

/** Installed fonts, loaded by path: faster than scanning the system's fonts on every render. */
const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
const FONT_FILES = [
  'DejaVuSans.ttf',
  'DejaVuSans-Bold.ttf',
  'DejaVuSans-Oblique.ttf',
  'DejaVuSansMono.ttf',
].map((name) => `${FONT_DIR}/${name}`);

/** Column types and edge labels: the default (40 % grey) was faint once scaled into a Slack thread. */
const MUTED_TEXT = '#52525b';

export interface DiagramPng {
  png: Uint8Array;
  widthPx: number;
  heightPx: number;
}

export function renderDiagramPng(
  source: string,
  limits: Pick<DiagramLimits, 'targetWidthPx' | 'maxZoom' | 'maxPixels'>,
): DiagramPng {
  const svg = svgForResvg(
    renderMermaidSVG(erKeyLists(source), { font: DEJAVU_FONTS.sans, muted: MUTED_TEXT }),
    DEJAVU_FONTS,
  );
  const size = /viewBox="[\d.-]+ [\d.-]+ ([\d.]+) ([\d.]+)"/.exec(svg);
  const width = Number(size?.[1] ?? 800);
  const height = Number(size?.[2] ?? 600);
  const renderer = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: zoomFor(width, height, limits) },
    background: '#ffffff',
    font: {
      loadSystemFonts: false,
      fontFiles: FONT_FILES,
      defaultFontFamily: DEJAVU_FONTS.sans,
      sansSerifFamily: DEJAVU_FONTS.sans,
      monospaceFamily: DEJAVU_FONTS.mono,
    },
  });
  const image = renderer.render();
  return { png: image.asPng(), widthPx: image.width, heightPx: image.height };
}

/**
 * Enlarged toward the target width (text stays readable when Slack fits the picture to the thread), at
 * most maxZoom times, never shrunk below 1:1 unless the picture would pass maxPixels.
 */
export function zoomFor(
  width: number,
  height: number,
  limits: Pick<DiagramLimits, 'targetWidthPx' | 'maxZoom' | 'maxPixels'>,
): number {
  const wanted = Math.min(Math.max(limits.targetWidthPx / width, 1), limits.maxZoom);
  const fits = Math.sqrt(limits.maxPixels / (width * height));
  return Math.min(wanted, fits);
}

/**
 * Mermaid writes an attribute's keys as `PK, FK`; beautiful-mermaid splits them on spaces only and drops
 * `PK,`. Rewritten as `PK FK` so both badges show.
 */
export function erKeyLists(source: string): string {
  if (!/^\s*erDiagram\b/m.test(source)) return source;
  return source.replace(/\b(PK|FK|UK)\s*,\s*(?=(?:PK|FK|UK)\b)/g, '$1 ');
}
