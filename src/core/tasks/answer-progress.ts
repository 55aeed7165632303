import type { ToolCall } from '../agent-port.js';
import { type ProgressStep, READING_THREAD_STEP, stepStatus, toolStep, WRITING_STEP } from '../progress.js';

/** Where the steps go: the answer's message (see ThreadAnswerWriter.progress). */
export interface ProgressSink {
  progress(step: ProgressStep): boolean;
}

/**
 * The steps of one answer as the reader sees them: reading the thread, each tool call (in progress
 * while it runs, complete when it returns), writing the solution. Each goes onto the answer itself
 * (task_update chunks); where the message cannot show it (Slack refused the chunks, or the answer is
 * being rewritten), a running step becomes the thread status instead ("is asking security…").
 */
export class AnswerProgress {
  private toolCalls = 0;
  private writingShown = false;
  private anyStep = false;
  /** The step running now and its tool call, for the status when Slack refuses the steps later. */
  private running: { step: ProgressStep; call?: ToolCall } | undefined;

  constructor(
    private readonly sink: ProgressSink,
    private readonly setStatus: (status: string) => void,
  ) {}

  threadRead(): void {
    this.show(READING_THREAD_STEP);
  }

  /**
   * The model wrote text: the solution is being written. Shown once, after the first other step (an
   * answer with no steps is just its text; text written before a first tool call is not the solution).
   */
  text(): void {
    if (this.writingShown || !this.anyStep) return;
    this.writingShown = true;
    this.show(WRITING_STEP);
  }

  /** A round of tool calls starts; returns its steps, to be passed to `toolsDone`. */
  toolsStarted(calls: readonly ToolCall[]): ProgressStep[] {
    return calls.map((call) => {
      this.toolCalls += 1;
      const step = toolStep(call, this.toolCalls);
      this.show(step, call);
      return step;
    });
  }

  toolsDone(steps: readonly ProgressStep[], failed = false): void {
    for (const step of steps) this.show({ ...step, status: failed ? 'error' : 'complete' });
  }

  /** Slack refused the steps sent: the one running now is shown as the thread status. */
  refused(): void {
    if (this.running) this.fallBack(this.running.step, this.running.call);
  }

  private show(step: ProgressStep, call?: ToolCall): void {
    this.anyStep = true;
    if (step.status === 'in_progress') this.running = { step, ...(call ? { call } : {}) };
    else if (this.running?.step.id === step.id) this.running = undefined;
    if (!this.sink.progress(step)) this.fallBack(step, call);
  }

  private fallBack(step: ProgressStep, call?: ToolCall): void {
    // The text itself shows the writing; run_sql has its status already (tool-status.ts).
    if (step.id === WRITING_STEP.id) return;
    const status = stepStatus(step, call);
    if (status) this.setStatus(status);
  }
}
