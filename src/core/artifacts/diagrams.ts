/**
 * Why this file exists: the port between the bot and whatever turns a ```mermaid block into a picture
 * (src/artifacts/ renders it in a worker thread today). The model writes the diagram, so its input is
 * capped here, before any renderer sees it, and every failure is a value the caller can show in one line
 * (it keeps the code block and adds the note). Pure: no SDK imports.
 */

export interface DiagramLimits {
  /** Longest diagram source, in characters. */
  maxSourceChars: number;
  /** Most lines in one diagram (layout time grows with nodes and edges, not only characters). */
  maxLines: number;
  /** A render still running after this is stopped (the worker is ended). */
  timeoutMs: number;
  /** Width the picture aims for, in pixels; a small diagram is enlarged at most maxZoom times. */
  targetWidthPx: number;
  maxZoom: number;
  /** Pictures larger than this many pixels are scaled down (Slack previews; the renderer's memory). */
  maxPixels: number;
}

export const DEFAULT_DIAGRAM_LIMITS: DiagramLimits = {
  maxSourceChars: 12_000,
  maxLines: 300,
  timeoutMs: 10_000,
  targetWidthPx: 1_400,
  maxZoom: 2,
  maxPixels: 16_000_000,
};

export type DiagramFailureKind = 'too-large' | 'unsupported' | 'parse-error' | 'timeout' | 'unavailable';

export type DiagramResult =
  | { ok: true; png: Uint8Array; widthPx: number; heightPx: number; elapsedMs: number }
  | {
      ok: false;
      kind: DiagramFailureKind;
      /** One line for the thread, e.g. `line 3: unbalanced brackets in "A[Load --> B"`. */
      message: string;
    };

export interface DiagramRenderer {
  /** Renders one mermaid source to a PNG; never rejects. */
  renderPng(source: string): Promise<DiagramResult>;
}

/** The note the thread shows under a diagram that stays a code block. */
export function diagramFailureNote(result: Extract<DiagramResult, { ok: false }>): string {
  return `Diagram not rendered: ${result.message}`;
}
