import { describe, expect, it } from 'vitest';
import { ThreadTurns } from '../../src/core/thread-turns.js';
import { WorkRunner } from '../../src/core/work-runner.js';
import { createLogger } from '../../src/logger.js';

const quiet = createLogger({ level: 'error', sink: () => {} });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('WorkRunner', () => {
  it('never runs more jobs at once than its limit (MAX_CONCURRENT_GENERATIONS)', async () => {
    const runner = new WorkRunner(2, quiet);
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 7; i++) {
      runner.run(`job${i}`, async () => {
        running += 1;
        peak = Math.max(peak, running);
        await tick();
        running -= 1;
      });
    }
    await runner.idle();
    expect(peak).toBe(2);
  });

  it('after stop() starts nothing that was still waiting', async () => {
    const runner = new WorkRunner(1, quiet);
    const started: number[] = [];
    for (let i = 0; i < 3; i++) {
      runner.run(`job${i}`, async () => {
        started.push(i);
        await tick();
      });
    }
    runner.stop();
    await runner.idle();
    expect(started).toEqual([0]);
  });
});

describe('ThreadTurns', () => {
  it('runs one turn per thread at a time and folds requests made meanwhile into one more turn', async () => {
    const turns = new ThreadTurns(new WorkRunner(4, quiet));
    const log: string[] = [];
    const turn = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    };
    turns.request(1, turn('a'));
    turns.request(1, turn('b'));
    turns.request(1, turn('c'));
    turns.request(2, turn('x'));
    expect(turns.isBusy(1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(log.filter((l) => !l.includes('x'))).toEqual(['start a', 'end a', 'start c', 'end c']);
    expect(log.indexOf('start x')).toBeLessThan(log.indexOf('end a')); // other threads run concurrently
    expect(turns.isBusy(1)).toBe(false);
  });
});
