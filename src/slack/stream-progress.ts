/**
 * The progress steps of a streamed answer (`MessageStream.progress`): which steps wait for the next
 * write, how they are laid out as task_update / plan_update chunks between the text where they
 * happened, and giving them up where Slack refuses the chunks. Kept apart from the stream's
 * write/fallback state machine, which only sends the chunks built here.
 */
import { PLAN_TITLE_DONE, PLAN_TITLE_WORKING, type ProgressStep } from '../core/progress.js';
import { slackErrorCode } from './slack-errors.js';
import { STREAMING_REFUSED } from './stream-refusals.js';

/**
 * How an answer's steps are laid out: `plan` gathers them in one plan block at the top of the message
 * ("Reading the thread ✓ · Asking security ✓ · Writing the solution…"), the text streams below.
 */
export const TASK_DISPLAY_MODE = 'plan';

/** A Slack that streams text but not task chunks (older clients, some workspaces) answers this. */
const PROGRESS_REFUSED = new Set(['invalid_chunks', ...STREAMING_REFUSED]);

export type StreamChunk =
  | { type: 'markdown_text'; text: string }
  | { type: 'plan_update'; title: string }
  | { type: 'task_update'; id: string; title: string; status: ProgressStep['status']; details?: string };

/** A step waiting for the next write, with where the text was when it happened (its place in the timeline). */
export interface PendingStep {
  at: number;
  step: ProgressStep;
}

/** The code of a failed write that refused its progress steps (so the text goes out without them). */
export function progressRefusal(error: unknown): string | undefined {
  const code = slackErrorCode(error);
  return code && PROGRESS_REFUSED.has(code) ? code : undefined;
}

/** The steps one streamed message shows, from the first `add` to the closing write. */
export class StreamProgress {
  private pending: PendingStep[] = [];
  /** The latest state of every step this message shows (sent or about to be). */
  private readonly shown = new Map<string, ProgressStep>();
  private off = false;
  /** The plan's title was sent with the first step. */
  private planTitled = false;

  /** Called once Slack refused the steps (after they are dropped). */
  constructor(private readonly onRefused: (code: string) => void) {}

  get refused(): boolean {
    return this.off;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Queues `step` for the next write, placed at `at` characters into the text. */
  add(step: ProgressStep, at: number): void {
    this.pending.push({ at, step });
    this.shown.set(step.id, step);
  }

  /** The steps to send now; the closing write marks every step still in progress complete. */
  take(final: boolean, textLength: number): PendingStep[] {
    const steps = this.pending;
    this.pending = [];
    if (!final || this.off) return steps;
    for (const step of this.shown.values()) {
      if (step.status !== 'in_progress') continue;
      const done = { ...step, status: 'complete' as const };
      this.shown.set(step.id, done);
      steps.push({ at: textLength, step: done });
    }
    return steps;
  }

  /** `text` from `sent` to `upTo` with the steps between, each where it happened in the text. */
  chunks(text: string, sent: number, upTo: number, steps: PendingStep[]): StreamChunk[] {
    const chunks: StreamChunk[] = [];
    if (steps.length > 0 && !this.planTitled) {
      this.planTitled = true;
      chunks.push({ type: 'plan_update', title: PLAN_TITLE_WORKING });
    }
    let cursor = sent;
    for (const { at, step } of steps) {
      const cut = Math.min(Math.max(at, cursor), upTo);
      if (cut > cursor) chunks.push({ type: 'markdown_text', text: text.slice(cursor, cut) });
      cursor = Math.max(cursor, cut);
      chunks.push(taskUpdate(step));
    }
    if (upTo > cursor) chunks.push({ type: 'markdown_text', text: text.slice(cursor, upTo) });
    return chunks;
  }

  /** The closing write retitles the plan: the work it lists is done. */
  closingChunks(): StreamChunk[] {
    return this.planTitled && !this.off ? [{ type: 'plan_update', title: PLAN_TITLE_DONE }] : [];
  }

  /** Slack refused the steps: drop them, send no more. */
  refuse(code: string): void {
    this.off = true;
    this.pending = [];
    this.shown.clear();
    this.onRefused(code);
  }
}

function taskUpdate(step: ProgressStep): StreamChunk {
  return {
    type: 'task_update',
    id: step.id,
    title: step.title,
    status: step.status,
    ...(step.details ? { details: step.details } : {}),
  };
}
