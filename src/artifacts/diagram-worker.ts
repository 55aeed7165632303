import { parentPort } from 'node:worker_threads';
import type { DiagramLimits } from '../core/artifacts/diagrams.js';
import { renderDiagramPng } from './diagram-png.js';

/**
 * Why this file exists: the worker thread that renders diagrams, so ELK's layout and resvg's rasterising
 * (100+ ms each time, ~1 s the first time) never hold up the bot's event loop. One request at a time; the
 * parent ends the thread when a render passes its time limit.
 */

export interface DiagramWorkerRequest {
  id: number;
  source: string;
  limits: Pick<DiagramLimits, 'targetWidthPx' | 'maxZoom' | 'maxPixels'>;
}

export type DiagramWorkerReply =
  | { id: number; ok: true; png: Uint8Array; widthPx: number; heightPx: number }
  | { id: number; ok: false; message: string };

parentPort?.on('message', (request: DiagramWorkerRequest) => {
  let reply: DiagramWorkerReply;
  try {
    const { png, widthPx, heightPx } = renderDiagramPng(request.source, request.limits);
    // A copy of its own, so its memory can be handed over to the parent without copying again.
    reply = { id: request.id, ok: true, png: new Uint8Array(png), widthPx, heightPx };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = { id: request.id, ok: false, message: (message.split('\n')[0] ?? '').slice(0, 200) };
  }
  parentPort?.postMessage(reply, reply.ok ? [reply.png.buffer as ArrayBuffer] : []);
});
