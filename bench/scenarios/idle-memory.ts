import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAnthropic } from '../../test/support/fake-anthropic.js';
import { startFakeSlack } from '../../test/support/fake-slack.js';
import { buildBot, startBotProcess } from '../bot-process.js';

/** (c) resident memory of the built bot, idle after start-up, as `npm start` runs it. */
export async function idleMemoryScenario(): Promise<{ rssMb: number }> {
  buildBot();
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'deb-bench-'));
  const bot = await startBotProcess({ cwd: dir, slackApiUrl: slack.apiUrl, anthropicUrl: anthropic.url });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    return { rssMb: bot.memoryMb().rss };
  } finally {
    await bot.stop();
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
