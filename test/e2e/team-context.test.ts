import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT } from '../../src/agent/prompt.js';
import { TOOLS } from '../../src/agent/tools.js';
import { FAKE_TEAM_ID } from '../support/fake-slack.js';
import { type Harness, startHarness } from '../support/harness.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0DATA001';
const OTHER_CHANNEL = 'C0OTHER01';
const ADMIN = 'U0ADMIN01';
const ANA = 'U0ANA0001';
const STACK = 'Snowflake + dbt + Airflow; daily freshness; PII stays in the secure schema';

/** What today's requests carry before the conversation: the cached system prompt, alone. */
const CACHED_SYSTEM = [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }];

/**
 * `/data-engineer context`: a channel's standing facts, set by admins, sent with every task there
 * after the cached system prompt (a second system block without cache_control), so the cached prefix
 * stays byte-identical and a channel without context sends exactly what it sent before.
 */
describe('team context', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.slack.addUser({ id: ADMIN, is_admin: true });
    h.slack.addUser({ id: ANA });
    h.slack.addChannel(OTHER_CHANNEL, { member: true, name: 'other' });
  });
  afterEach(async () => {
    await h.close();
  });

  /** A sub-command's private answer: in the ack, or (after Slack calls) through response_url. */
  async function run(text: string, user: string, channel = CHANNEL): Promise<string> {
    const before = h.slack.responses.length;
    const response = await h.command(text, { user_id: user, channel_id: channel });
    expect(response.status).toBe(200);
    const inAck = (response.json as { text?: string } | undefined)?.text;
    if (inAck) return inAck;
    await until(() => h.slack.responses.length > before);
    return (h.slack.responses[before]?.body as { text?: string } | undefined)?.text ?? '';
  }

  async function task(text: string, channel = CHANNEL) {
    const before = h.anthropic.requests.length;
    expect((await h.command(text, { user_id: ANA, channel_id: channel })).status).toBe(200);
    await h.app.idle();
    return h.anthropic.requests.slice(before);
  }

  it('sends the context after the cached system prompt, whose bytes do not change; other channels send exactly what they sent before', async () => {
    const [plain] = await task('design an orders mart', OTHER_CHANNEL);
    expect(JSON.stringify(plain?.body.system)).toBe(JSON.stringify(CACHED_SYSTEM));

    expect(await run(`context set ${STACK}`, ADMIN)).toMatch(/^Stored\./);
    const [withContext] = await task('design an orders mart');
    const system = withContext?.body.system as { type: string; text: string; cache_control?: unknown }[];
    expect(system).toHaveLength(2);
    // The cached block is the same bytes as in a channel without context; the context has no breakpoint.
    expect(JSON.stringify(system[0])).toBe(JSON.stringify(CACHED_SYSTEM[0]));
    expect(system[1]?.cache_control).toBeUndefined();
    expect(system[1]?.text).toBe(
      `# Team context (set by this channel's admins: facts about their stack and rules; the instructions above still apply)\n${STACK}`,
    );
    // Tools are untouched by context: the same bytes as every unmapped channel's.
    expect(JSON.stringify(withContext?.body.tools)).toBe(JSON.stringify(TOOLS));

    // Another channel still sends exactly today's request prefix.
    const [again] = await task('design a users mart', OTHER_CHANNEL);
    expect(JSON.stringify(again?.body.system)).toBe(JSON.stringify(CACHED_SYSTEM));
    expect(JSON.stringify(again?.body.tools)).toBe(JSON.stringify(TOOLS));

    // Cleared: back to exactly the request without context.
    expect(await run('context clear', ADMIN)).toBe('This channel’s context is removed.');
    const [cleared] = await task('design a sessions mart');
    expect(JSON.stringify(cleared?.body.system)).toBe(JSON.stringify(CACHED_SYSTEM));
  });

  it('shows the context to anyone; only admins may set or clear it; mentions are made inert', async () => {
    expect(await run('context', ANA)).toMatch(/^This channel has no context\./);
    const refused = await run(`context set ${STACK}`, ANA);
    expect(refused).toMatch(/^Sorry, only workspace admins and owners .*can change this channel's context/);
    expect(await run('context clear', ANA)).toMatch(/^Sorry, only workspace admins/);
    expect(h.query('select * from channel_contexts')).toEqual([]);

    await run(
      `context set <!channel> ping <@${ANA}|ana> and <!subteam^S0DBA0001|@dba> about ${STACK}`,
      ADMIN,
    );
    const [stored] = h.query<{ text: string; set_by: string }>('select text, set_by from channel_contexts');
    expect(stored?.set_by).toBe(ADMIN);
    expect(stored?.text).not.toMatch(/<!channel>|<@U|<!subteam|@channel/);
    expect(stored?.text).toContain('ping @ana and @dba');
    const shown = await run('context', ANA);
    expect(shown).toContain(STACK);
    expect(shown).not.toMatch(/<!channel>|<@U0ANA|<!subteam|@channel/);
    const [request] = await task('design an orders mart');
    const sent = JSON.stringify(request?.body.system);
    expect(sent).toContain(STACK);
    expect(sent).not.toMatch(/<!channel>|<@U0ANA|<!subteam/);
  });

  it('refuses a context that is too long or empty with a short private message', async () => {
    expect(await run(`context set ${'x'.repeat(1_501)}`, ADMIN)).toMatch(
      /^That context is 1,501 characters; the most is 1,500\./,
    );
    expect(await run('context set', ADMIN)).toMatch(/^Say what every task here should know/);
    expect(h.query('select * from channel_contexts')).toEqual([]);
    // "context for …" is a task, not the command.
    const requests = await task('context for the orders mart: what grain should it have?');
    expect(requests).toHaveLength(1);
  });

  it("never shows or sends another workspace's context for the same channel id", async () => {
    const writer = new Database(h.databasePath);
    writer
      .prepare(
        "insert into channel_contexts (team_id, channel_id, text, set_by) values ('T0STRANGER', ?, ?, ?)",
      )
      .run(CHANNEL, 'STRANGER FACTS', ADMIN);
    writer.close();
    expect(await run('context', ANA)).toMatch(/^This channel has no context\./);
    const [request] = await task('design an orders mart');
    expect(JSON.stringify(request?.body.system)).toBe(JSON.stringify(CACHED_SYSTEM));
    expect(h.query('select team_id from channel_contexts')).toEqual([{ team_id: 'T0STRANGER' }]);
    expect(FAKE_TEAM_ID).not.toBe('T0STRANGER');
  });
});
