import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAnthropic } from '../../test/support/fake-anthropic.js';
import { startFakeSlack } from '../../test/support/fake-slack.js';
import { buildBot, startBotProcess } from '../bot-process.js';

/**
 * (c) resident memory of the built bot, idle after start-up, as `npm start` runs it: the median of
 * three starts, since one start varies by ±8 MB on a shared machine (when V8 happens to collect).
 */
export async function idleMemoryScenario(): Promise<{ rssMb: number; startsMb: number[] }> {
  buildBot();
  const startsMb: number[] = [];
  for (let i = 0; i < 3; i++) startsMb.push(await idleRssOnce());
  const sorted = [...startsMb].sort((a, b) => a - b);
  return { rssMb: sorted[1] ?? 0, startsMb };
}

async function idleRssOnce(): Promise<number> {
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'deb-bench-'));
  const bot = await startBotProcess({ cwd: dir, slackApiUrl: slack.apiUrl, anthropicUrl: anthropic.url });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    return bot.memoryMb().rss;
  } finally {
    await bot.stop();
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
