import type { WorkRunner } from './work-runner.js';

/**
 * One generation per thread. A turn requested while the thread is busy is not run beside the current
 * one: it runs right after, and since it reads the stored conversation it answers every reply that
 * arrived meanwhile, in order. Different threads run concurrently (bounded by the WorkRunner).
 */
export class ThreadTurns {
  private readonly busy = new Map<number, { next?: () => Promise<void> }>();

  constructor(private readonly runner: WorkRunner) {}

  request(taskId: number, turn: () => Promise<void>): void {
    const state = this.busy.get(taskId);
    if (state) {
      state.next = turn;
      return;
    }
    const entry: { next?: () => Promise<void> } = {};
    this.busy.set(taskId, entry);
    this.runner.run(`task:${taskId}`, async () => {
      try {
        let job: (() => Promise<void>) | undefined = turn;
        while (job) {
          await job();
          job = entry.next;
          entry.next = undefined;
        }
      } finally {
        this.busy.delete(taskId);
      }
    });
  }

  isBusy(taskId: number): boolean {
    return this.busy.has(taskId);
  }
}
