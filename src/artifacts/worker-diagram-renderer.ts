import { Worker } from 'node:worker_threads';
import { checkDiagramSource } from '../core/artifacts/diagram-source.js';
import {
  DEFAULT_DIAGRAM_LIMITS,
  type DiagramLimits,
  type DiagramRenderer,
  type DiagramResult,
} from '../core/artifacts/diagrams.js';
import type { DiagramWorkerReply, DiagramWorkerRequest } from './diagram-worker.js';

/**
 * Why this file exists: the bot's side of diagram rendering. The source is checked first (size, line
 * count, lines the renderer understands); the render itself runs in a worker thread started on first use
 * and ended when idle, one diagram at a time, each on a timer: a diagram whose layout runs too long ends
 * the thread (terminate() stops even a busy synchronous loop) and the next one starts a fresh thread.
 */

export interface WorkerDiagramOptions {
  limits?: Partial<DiagramLimits>;
  /** The thread ends after this long without work (its ~60 MB of layout and fonts go with it). */
  idleMs?: number;
}

/** The worker's entry: the compiled .js next to this file, or the .ts source through tsx (tests, bench). */
function startWorker(): Worker {
  const here = import.meta.url;
  const options = { resourceLimits: { maxOldGenerationSizeMb: 256 } };
  if (!here.endsWith('.ts')) return new Worker(new URL('./diagram-worker.js', here), options);
  const entry = new URL('./diagram-worker.ts', here).href;
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}));`;
  return new Worker(code, { ...options, eval: true });
}

export class WorkerDiagramRenderer implements DiagramRenderer {
  readonly limits: DiagramLimits;
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private started = 0;

  constructor(options: WorkerDiagramOptions = {}) {
    this.limits = { ...DEFAULT_DIAGRAM_LIMITS, ...options.limits };
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** How many worker threads were started so far (tests count restarts). */
  get starts(): number {
    return this.started;
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  renderPng(source: string): Promise<DiagramResult> {
    const refusal = checkDiagramSource(source, this.limits);
    if (refusal) return Promise.resolve(refusal);
    const next = this.queue.then(() => this.renderNow(source));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the thread now (shutdown, tests). A later render starts a new one. */
  async stop(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private renderNow(source: string): Promise<DiagramResult> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const started = performance.now();
    return new Promise<DiagramResult>((resolve) => {
      const done = (result: DiagramResult) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
        this.scheduleIdle();
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.endWorker(worker);
        const seconds = Math.round(this.limits.timeoutMs / 100) / 10;
        done({ ok: false, kind: 'timeout', message: `the diagram took longer than ${seconds} s to lay out` });
      }, this.limits.timeoutMs);
      const onMessage = (reply: DiagramWorkerReply) => {
        if (reply.id === id) done(resultOf(reply, started));
      };
      const onError = (error: Error) => {
        this.endWorker(worker);
        done({
          ok: false,
          kind: 'unavailable',
          message: `the renderer failed (${error.message.split('\n')[0]})`,
        });
      };
      const onExit = (code: number) => {
        if (this.worker === worker) this.worker = undefined;
        done({ ok: false, kind: 'unavailable', message: `the renderer stopped (exit ${code})` });
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.ref();
      const request: DiagramWorkerRequest = { id, source, limits: this.limits };
      worker.postMessage(request);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    this.started += 1;
    worker.unref();
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
    });
    // Errors are reported to the render in flight; an idle worker's error only ends it.
    worker.on('error', () => this.endWorker(worker));
    this.worker = worker;
    return worker;
  }

  private endWorker(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  private scheduleIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const worker = this.worker;
      if (worker) this.endWorker(worker);
    }, this.idleMs);
    this.idleTimer.unref();
  }
}

/** The worker's reply to one render as the port's result. */
function resultOf(reply: DiagramWorkerReply, started: number): DiagramResult {
  if (!reply.ok) return { ok: false, kind: 'parse-error', message: reply.message };
  const elapsedMs = Math.round(performance.now() - started);
  return { ok: true, png: reply.png, widthPx: reply.widthPx, heightPx: reply.heightPx, elapsedMs };
}
