import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dataEngineeringAnswer, startFakeAnthropic } from '../test/support/fake-anthropic.js';
import { startFakeSlack } from '../test/support/fake-slack.js';

const root = resolve(fileURLToPath(import.meta.url), '../..');

export interface FakesProcess {
  slackApiUrl: string;
  anthropicUrl: string;
  stop(): Promise<void>;
}

/**
 * Runs the fake Slack and fake Anthropic servers in a child process, so a benchmark of the bot's
 * own latency is not charged for the CPU the fakes spend streaming and validating.
 */
export async function startFakesProcess(model: {
  firstTokenDelayMs: number;
  tokensPerSecond: number;
}): Promise<FakesProcess> {
  const loader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(
    process.execPath,
    ['--import', loader, fileURLToPath(import.meta.url), '--serve', JSON.stringify(model)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const firstLine = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', done);
    child.once('exit', () => fail(new Error('the fakes process exited before it started')));
  });
  const urls = JSON.parse(firstLine) as { slackApiUrl: string; anthropicUrl: string };
  return {
    ...urls,
    stop: async () => {
      child.stdin.end();
      await new Promise((done) => child.once('exit', done));
    },
  };
}

async function serve(model: { firstTokenDelayMs: number; tokensPerSecond: number }): Promise<void> {
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  anthropic.setDefault({
    kind: 'message',
    content: [{ type: 'text', text: dataEngineeringAnswer() }],
    ...model,
  });
  process.stdout.write(`${JSON.stringify({ slackApiUrl: slack.apiUrl, anthropicUrl: anthropic.url })}\n`);
  // The parent closes our stdin when it is done (or dies): shut down then.
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await Promise.all([slack.close(), anthropic.close()]);
    process.exit(0);
  });
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) await serve(JSON.parse(process.argv[serveAt + 1] ?? '{}'));
