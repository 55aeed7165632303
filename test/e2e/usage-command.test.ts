import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

const CHANNEL = 'C0DATA001';
const OTHER_CHANNEL = 'C0OTHER01';
const ANA = 'U0ANA0001';
const DAY = 24 * 60 * 60 * 1000;

/** `/data-engineer usage`: added as one file (src/core/tasks/usage-command.ts) and one registry line. */
describe('/data-engineer usage', () => {
  let h: Harness;
  let tasks = 0;
  beforeEach(async () => {
    h = await startHarness();
    h.slack.addChannel(OTHER_CHANNEL, { member: true, name: 'other' });
  });
  afterEach(async () => {
    await h.close();
  });

  /** Answers a task through the fakes, then gives it a known age and known token counts. */
  async function answeredTask(
    channel: string,
    ageDays: number,
    usage: { input: number; output: number; cacheRead?: number },
    teamId?: string,
  ): Promise<void> {
    tasks += 1;
    const response = await h.command(`design pipeline number ${tasks}`, {
      channel_id: channel,
      user_id: ANA,
    });
    expect(response.status).toBe(200);
    await h.app.idle();
    const writer = new Database(h.databasePath);
    const task = writer.prepare('select id from tasks order by id desc limit 1').get() as { id: number };
    const at = Date.now() - ageDays * DAY;
    writer.prepare('update tasks set created_at = ? where id = ?').run(at, task.id);
    writer
      .prepare(
        `update turns set created_at = ?, input_tokens = ?, output_tokens = ?, cache_read_tokens = ?,
         cache_write_tokens = 0 where task_id = ? and role = 'assistant'`,
      )
      .run(at, usage.input, usage.output, usage.cacheRead ?? 0, task.id);
    if (teamId) {
      writer.prepare('update tasks set team_id = ? where id = ?').run(teamId, task.id);
      writer.prepare('update turns set team_id = ? where task_id = ?').run(teamId, task.id);
    }
    writer.close();
  }

  it("shows this channel's tasks, tokens and estimated cost for 7 and 30 days, privately", async () => {
    await answeredTask(CHANNEL, 1, { input: 1_000, output: 12_345, cacheRead: 200_000 });
    await answeredTask(CHANNEL, 10, { input: 2_000, output: 3_000 });
    await answeredTask(CHANNEL, 40, { input: 9_000_000, output: 9_000_000 });
    // Another channel, and another workspace's channel with the same id: never counted here.
    await answeredTask(OTHER_CHANNEL, 1, { input: 7_000_000, output: 7_000_000 });
    await answeredTask(CHANNEL, 1, { input: 5_000_000, output: 5_000_000 }, 'T0STRANGER');
    const modelCalls = h.anthropic.requests.length;
    const posted = h.slack.messages.length;

    const response = await h.command('usage', { channel_id: CHANNEL, user_id: ANA });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    // claude-sonnet-5-5: $2 input, $0.10 cache reads, $10 output per million tokens.
    expect(response.json.text).toBe(
      [
        `*Claude usage in <#${CHANNEL}>*`,
        '• *Last 7 days:* 1 task · 213,345 tokens (201,000 input, 12,345 output) · ~$0.15 · feedback 👍 0 · 👎 0',
        '• *Last 30 days:* 2 tasks · 218,345 tokens (203,000 input, 15,345 output) · ~$0.18 · feedback 👍 0 · 👎 0',
        '_Estimated from list prices; tokens include cache reads and writes. Only you can see this._',
      ].join('\n'),
    );
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(modelCalls);
    expect(h.slack.messages).toHaveLength(posted);
  });

  it('says zero for a channel with no work, and keeps "usage …" with more words a task', async () => {
    const empty = await h.command('usage', { channel_id: OTHER_CHANNEL, user_id: ANA });
    expect(empty.json.text).toContain('• *Last 7 days:* 0 tasks · 0 tokens (0 input, 0 output) · $0');
    const task = await h.command('usage dashboards for the finance team', { channel_id: CHANNEL });
    expect(task.json.text).toContain('answer in a thread');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(1);
  });

  it('is listed in the help', async () => {
    const help = await h.command('help');
    expect(help.json.text).toContain('`/data-engineer usage`');
  });

  it('answers a failing read with a short private apology, not silence or a stack trace', async () => {
    const writer = new Database(h.databasePath);
    writer.exec('alter table turns rename to turns_elsewhere');
    writer.close();
    const response = await h.command('usage', { channel_id: CHANNEL, user_id: ANA });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      response_type: 'ephemeral',
      text: 'Sorry, something went wrong on my side. Please try again in a moment.',
    });
    expect(h.logs.some((line) => line.includes('the usage command failed'))).toBe(true);
  });
});
