import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKS,
  DAG,
  DBT_SCHEMA,
  DICTIONARY_INPUT,
  designAnswer,
  SCHEMA_DDL,
  SCHEMA_DDL_WITH_DEVICE,
} from '../support/design-answer.js';
import { textReply } from '../support/fake-anthropic.js';
import type { UploadedFile } from '../support/fake-slack/types.js';
import { type Harness, startHarness } from '../support/harness.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';

/** The columns of every table `ddl` creates, as DuckDB's own information_schema lists them. */
async function informationSchema(ddl: string): Promise<string[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(ddl);
  const reader = await connection.runAndReadAll(
    `select table_schema, table_name, column_name, data_type, is_nullable
     from information_schema.columns where table_schema not in ('information_schema', 'pg_catalog')
     order by table_schema, table_name, ordinal_position`,
  );
  const rows = reader.getRows().map((r) => r.map(String));
  connection.closeSync();
  instance.closeSync();
  return rows.map(([schema, table, column, type, nullable]) => [
    schema === 'main' ? String(table) : `${schema}.${table}`,
    String(column),
    String(type),
    nullable === 'YES' ? 'yes' : 'no',
  ]);
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += ch;
  }
  return records;
}

const named = (files: UploadedFile[], name: string) => files.filter((f) => f.name === name);

describe('deliverables: code files, the data dictionary and diagrams in the thread', () => {
  let h: Harness;
  let threadTs: string;
  let events = 0;

  beforeAll(async () => {
    h = await startHarness();
    h.anthropic.script(
      {
        kind: 'message',
        content: [{ type: 'tool_use', name: 'publish_data_dictionary', input: DICTIONARY_INPUT }],
      },
      textReply(designAnswer()),
    );
    const response = await h.command('design a sessions mart with a data dictionary', {
      channel_id: CHANNEL,
      user_id: ANA,
    });
    expect(response.status).toBe(200);
    await h.app.idle();
    threadTs = h.query<{ thread_ts: string }>('select thread_ts from tasks')[0]?.thread_ts ?? '';
    expect(threadTs).not.toBe('');
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  /** A human reply in the thread, delivered signed as Slack would. */
  async function reply(text: string): Promise<void> {
    const message = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text, thread_ts: threadTs });
    events += 1;
    const response = await h.event(
      {
        type: 'message',
        channel: CHANNEL,
        channel_type: 'channel',
        user: ANA,
        text,
        ts: message.ts,
        thread_ts: threadTs,
      },
      { event_id: `EvDeliver${events}` },
    );
    expect(response.status).toBe(200);
    await h.app.idle();
  }

  it('uploads every substantial block as a file with a meaningful name, its bytes equal to the block, its check line as the comment', () => {
    const files = h.slack.filesIn(CHANNEL, threadTs);
    const code = files.filter((f) => !f.name.endsWith('.png') && f.name !== 'data-dictionary.csv');
    expect(code.map((f) => [f.name, f.title])).toEqual([
      ['analytics_schema.sql', 'models/analytics_schema.sql'],
      ['sessions_daily.py', 'dags/sessions_daily.py'],
      ['schema.yml', 'dbt/schema.yml'],
    ]);
    expect(code.map((f) => f.bytes.toString('utf8'))).toEqual([
      `${SCHEMA_DDL}\n`,
      `${DAG}\n`,
      `${DBT_SCHEMA}\n`,
    ]);
    // The short check block and `select 1` stay in the answer only.
    expect(files.some((f) => f.bytes.toString('utf8') === `${CHECKS}\n`)).toBe(false);
    // The block checks ran the DDL in DuckDB: the file says so.
    expect(named(files, 'analytics_schema.sql')[0]?.initialComment).toMatch(
      /^✓ `models\/analytics_schema\.sql` \(SQL/,
    );
    expect(named(files, 'schema.yml')[0]?.initialComment).toMatch(/^✓ `dbt\/schema\.yml` \(YAML\)/);
  });

  it('builds the dictionary CSV from the tables as created: one row per column of every table, as information_schema has them', async () => {
    const [csv] = named(h.slack.filesIn(CHANNEL, threadTs), 'data-dictionary.csv');
    expect(csv).toBeDefined();
    const [header, ...rows] = parseCsv(csv?.bytes.toString('utf8') ?? '');
    expect(header).toEqual(['table', 'column', 'type', 'nullable', 'key', 'description', 'pii', 'checks']);
    expect(rows.map((r) => r.slice(0, 4))).toEqual(await informationSchema(SCHEMA_DDL));
    const row = (table: string, column: string) => rows.find((r) => r[0] === table && r[1] === column) ?? [];
    expect(row('analytics.fct_sessions', 'user_id')[4]).toBe('FK → analytics.dim_users.user_id');
    expect(row('analytics.dim_users', 'user_id')[4]).toBe('PK');
    expect(row('analytics.dim_users', 'email').slice(5, 7)).toEqual([
      'Login e-mail, see [the policy](https://evil.example/x).',
      'yes',
    ]);
    // A spreadsheet never runs a description as a formula.
    expect(row('analytics.fct_sessions', 'page_views')[5]).toBe(
      `'=HYPERLINK("http://x") page views in the session.`,
    );
    expect(row('analytics.fct_sessions', 'page_views')[7]).toBe('page_views is never negative');
    expect(row('analytics.fct_sessions', 'revenue')[5]).toBe('');
  });

  it('shows the dictionary as a Markdown table with a check line naming what lacks a description, mentioning no one', () => {
    const table = h.slack
      .threadMessages(CHANNEL, threadTs)
      .find(
        (m) => m.blocks?.[0]?.type === 'markdown' && String(m.blocks[0].text).includes('Data dictionary'),
      );
    const text = String(table?.blocks?.[0]?.text ?? '');
    expect(text).toContain('| column | type | null | key | PII | description | checks |');
    expect(text).toContain('| email | VARCHAR | no |  | 🔒 |');
    expect(text).toContain('without a description: `analytics.fct_sessions.revenue`');
    expect(text).not.toMatch(/<@U0BOB0001>|<!channel>|\]\(https/);
  });

  it('renders one PNG per mermaid block (a valid picture of sensible size); the diagram that does not parse stays a code block with a one-line note', () => {
    const pictures = h.slack.filesIn(CHANNEL, threadTs).filter((f) => f.name.endsWith('.png'));
    expect(pictures.map((f) => f.name)).toEqual(['er-diagram.png', 'flowchart.png']);
    for (const picture of pictures) {
      const png = PNG.sync.read(picture.bytes);
      expect(png.width).toBeGreaterThan(300);
      expect(png.width).toBeLessThanOrEqual(4_000);
      expect(png.height).toBeGreaterThan(100);
      // Not a black box: mostly the white background, with some dark text and lines.
      let white = 0;
      let dark = 0;
      for (let i = 0; i < png.data.length; i += 4) {
        const sum = (png.data[i] ?? 0) + (png.data[i + 1] ?? 0) + (png.data[i + 2] ?? 0);
        if (sum > 740) white += 1;
        else if (sum < 300) dark += 1;
      }
      const pixels = png.width * png.height;
      expect(white / pixels).toBeGreaterThan(0.5);
      expect(dark / pixels).toBeGreaterThan(0.002);
    }
    const thread = h.slack.threadMessages(CHANNEL, threadTs);
    const answer = thread.map((m) => m.markdown_text ?? m.text ?? '').join('\n');
    expect(answer).toContain('A[Load --> B');
    const notes = thread.filter((m) => (m.text ?? '').includes('Diagram not rendered'));
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text).toMatch(/^Block \d+: Diagram not rendered: line 2: unbalanced brackets/);
    expect(notes[0]?.text?.split('\n')).toHaveLength(1);
  });

  it('lists the design in `/data-engineer designs`, newest first, privately', async () => {
    const response = await h.command('designs', { channel_id: CHANNEL, user_id: ANA });
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    const text = String(response.json.text);
    expect(text).toContain('*Designs in this channel (1), newest first:*');
    expect(text).toContain('design a sessions mart with a data dictionary');
    expect(text).toContain(`<@${ANA}>`);
    expect(text).toContain('`models/analytics_schema.sql`');
    expect(text).toContain('`er-diagram.png` +2 more');
    const other = await h.command('designs', { channel_id: 'C0OTHER01', user_id: ANA });
    expect(other.json.text).toContain('No designs in this channel yet');
  });

  it('a follow-up that adds a column replaces the dictionary file (files.delete) instead of adding a second one', async () => {
    const before = named(h.slack.filesIn(CHANNEL, threadTs), 'data-dictionary.csv');
    expect(before).toHaveLength(1);
    h.anthropic.script(textReply(designAnswer(SCHEMA_DDL_WITH_DEVICE)));
    await reply('add the device type to sessions');
    const live = named(h.slack.filesIn(CHANNEL, threadTs), 'data-dictionary.csv');
    expect(live).toHaveLength(1);
    expect(live[0]?.id).not.toBe(before[0]?.id);
    expect(h.slack.callsTo('files.delete').map((c) => c.args.file)).toEqual([before[0]?.id]);
    const [, ...rows] = parseCsv(live[0]?.bytes.toString('utf8') ?? '');
    expect(rows.map((r) => r.slice(0, 4))).toEqual(await informationSchema(SCHEMA_DDL_WITH_DEVICE));
    // The descriptions given with the first answer carry over.
    expect(rows.find((r) => r[1] === 'session_id')?.[5]).toBe('Session key.');
    expect(live[0]?.initialComment).toContain('Replaces the earlier version');
    // One current table in the thread too: the first answer's table now points to the new one.
    const tables = h.slack.messages.filter(
      (m) => m.thread_ts === threadTs && JSON.stringify(m.blocks ?? []).includes('Data dictionary'),
    );
    expect(tables.map((m) => JSON.stringify(m.blocks).includes('replaced by the updated version'))).toEqual([
      true,
      false,
    ]);
  });

  it('an answer whose DDL did not change posts no new dictionary', async () => {
    const uploads = h.slack.callsTo('files.getUploadURLExternal').length;
    h.anthropic.script(textReply(designAnswer(SCHEMA_DDL_WITH_DEVICE)));
    await reply('thanks, and the DAG again please');
    const names = h.slack
      .callsTo('files.getUploadURLExternal')
      .slice(uploads)
      .map((c) => c.args.filename);
    expect(names).not.toContain('data-dictionary.csv');
    expect(named(h.slack.filesIn(CHANNEL, threadTs), 'data-dictionary.csv')).toHaveLength(1);
  });
});

describe('deliverables are uploaded exactly once across a retry', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('an upload that landed though Slack answered 500 is found in the thread, not uploaded again', async () => {
    h.anthropic.script(textReply(designAnswer()));
    // The dictionary's share lands, then a gateway answers 500: the bot cannot tell it landed.
    h.slack.failNext('files.completeUploadExternal', { status: 500, afterLanding: true }, 1, (args) =>
      JSON.stringify(args.files).includes(
        h.slack.callsTo('files.getUploadURLExternal').find((c) => c.args.filename === 'data-dictionary.csv')
          ?.response?.file_id ?? '—',
      ),
    );
    await h.command('design a sessions mart', { channel_id: CHANNEL, user_id: ANA });
    await h.app.idle();
    const threadTs = h.query<{ thread_ts: string }>('select thread_ts from tasks')[0]?.thread_ts ?? '';
    const failed = h.slack.callsTo('files.completeUploadExternal').filter((c) => c.httpStatus === 500);
    expect(failed).toHaveLength(1);
    const files = h.slack.filesIn(CHANNEL, threadTs);
    const counts = new Map<string, number>();
    for (const f of files) counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({
      'analytics_schema.sql': 1,
      'sessions_daily.py': 1,
      'schema.yml': 1,
      'er-diagram.png': 1,
      'flowchart.png': 1,
      'data-dictionary.csv': 1,
    });
    const stored = h.query<{ title: string; file_id: string; state: string }>(
      "select title, file_id, state from artifact_uploads where title = 'data-dictionary.csv'",
    );
    expect(stored).toEqual([
      {
        title: 'data-dictionary.csv',
        file_id: named(files, 'data-dictionary.csv')[0]?.id,
        state: 'uploaded',
      },
    ]);
  });
});

describe('deliverables: hostile names and notes, and the designs index scoped and bounded', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('a file name that climbs out of its folder or carries a mention is made safe; comments and notes mention no one', async () => {
    const answer = [
      '## Data Engineering Solution: Hostile names',
      '',
      '```sql file="../../../etc/<@U0BOB0001>/passwd.sql"',
      SCHEMA_DDL,
      '```',
      '',
      '```mermaid',
      'flowchart LR',
      '  A[<!channel> --> B',
      '```',
    ].join('\n');
    h.anthropic.script(textReply(answer));
    await h.command('design something hostile', { channel_id: CHANNEL, user_id: ANA });
    await h.app.idle();
    const threadTs = h.query<{ thread_ts: string }>('select thread_ts from tasks')[0]?.thread_ts ?? '';
    const files = h.slack.filesIn(CHANNEL, threadTs);
    const sql = files.find((f) => f.name.endsWith('.sql'));
    expect(sql?.title).toBe('etc/U0BOB0001_/passwd.sql');
    expect(sql?.name).toBe('passwd.sql');
    expect(sql?.bytes.toString('utf8')).toBe(`${SCHEMA_DDL}\n`);
    const posted = (prefix: string) =>
      JSON.stringify(h.slack.calls.filter((c) => c.method.startsWith(prefix)).map((c) => c.args));
    // The answer shows the model's fence as written (made inert); nothing the bot adds climbs a folder.
    expect(posted('files.')).not.toMatch(/\.\.\/|<@|<!/);
    expect(posted('chat.')).not.toMatch(/<@U0BOB0001>|<!channel>/);
    const note = h.slack
      .threadMessages(CHANNEL, threadTs)
      .find((m) => (m.text ?? '').includes('Diagram not rendered'));
    expect(note?.text).toContain('channel');
  });

  it('`designs` refuses a bad page privately and shows only this workspace’s designs', async () => {
    for (const words of ['designs 0', 'designs page x', 'designs 1001']) {
      const response = await h.command(words, { channel_id: CHANNEL, user_id: ANA });
      expect(response.json).toMatchObject({ response_type: 'ephemeral' });
      expect(String(response.json.text)).toMatch(
        /^(Usage: `\/data-engineer designs`|The page must be a number from 1 to 1000)/,
      );
    }
    // Another workspace's design in a channel with the same id: never listed here.
    const writer = new Database(h.databasePath);
    const task = writer.prepare('select id from tasks limit 1').get() as { id: number };
    writer
      .prepare(
        `insert into designs (team_id, channel_id, task_id, title, requester_id, thread_ts, files)
         values ('T0STRANGER', ?, ?, 'their secret design', 'U0THEM001', '1.000100', '["x.sql"]')`,
      )
      .run(CHANNEL, task.id);
    writer.close();
    const list = await h.command('designs', { channel_id: CHANNEL, user_id: ANA });
    expect(String(list.json.text)).toContain('design something hostile');
    expect(String(list.json.text)).not.toContain('their secret design');
    expect(String(list.json.text)).toContain('(1)');
  });
});

describe('deliverables: a code block may not take a name only the bot gives', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('a code block named data-dictionary.csv never takes the dictionary’s name: the real dictionary goes out under it', async () => {
    const forged = 'table,column,type\r\n=HYPERLINK("https://evil.example/x"),a,b\r\n';
    const answer = [
      '## Data Engineering Solution: Forged dictionary',
      '',
      '```csv file=data-dictionary.csv',
      forged.trimEnd(),
      '```',
      '',
      '```sql file=schema.sql',
      SCHEMA_DDL,
      '```',
    ].join('\n');
    h.anthropic.script(textReply(answer));
    await h.command('design a forged dictionary', { channel_id: CHANNEL, user_id: ANA });
    await h.app.idle();
    const threadTs =
      h.query<{ thread_ts: string }>('select thread_ts from tasks order by id desc limit 1')[0]?.thread_ts ??
      '';
    const files = h.slack.filesIn(CHANNEL, threadTs);
    const dictionary = files.filter((f) => f.title === 'data-dictionary.csv');
    expect(dictionary).toHaveLength(1);
    expect(dictionary[0]?.bytes.toString('utf8')).toMatch(
      /^table,column,type,nullable,key,description,pii,checks\r\n/,
    );
    expect(dictionary[0]?.bytes.toString('utf8')).not.toContain('HYPERLINK');
    // The model's block is still a file, under a name of its own.
    const model = files.find((f) => f.bytes.toString('utf8').includes('HYPERLINK'));
    expect(model?.title).toBe('data-dictionary-2.csv');
  });

  it('a block the repair round corrected is handed over corrected, with the corrected version’s check', async () => {
    const broken = 'select id,\n       sum(amount) as total\nfrom orders\ngroup by id\nordr by id;';
    const fixed = 'select id,\n       sum(amount) as total\nfrom orders\ngroup by id\norder by id;';
    const answer = [
      '## Data Engineering Solution: Orders rollup',
      'Dialect: PostgreSQL',
      '```sql file=models/orders_rollup.sql',
      broken,
      '```',
    ].join('\n');
    const repair = ['Block 1', '```sql', fixed, '```'].join('\n');
    h.anthropic.script(textReply(answer), textReply(repair));
    await h.command('roll orders up', { channel_id: CHANNEL, user_id: ANA });
    await h.app.idle();
    const threadTs =
      h.query<{ thread_ts: string }>('select thread_ts from tasks order by id desc limit 1')[0]?.thread_ts ??
      '';
    const [file] = named(h.slack.filesIn(CHANNEL, threadTs), 'orders_rollup.sql');
    expect(file?.bytes.toString('utf8')).toBe(`${fixed}\n`);
    expect(file?.initialComment).toContain('✓');
    expect(file?.initialComment).not.toContain('✗');
  });

  it('an answer of many tiny files and diagrams gets at most 10 files and 5 diagram renders, the rest in one note', async () => {
    const sql = Array.from({ length: 14 }, (_, i) => [
      `\`\`\`sql file=a${i + 1}.sql`,
      `select ${i + 1};`,
      '```',
    ]);
    const mermaid = Array.from({ length: 8 }, (_, i) => [
      '```mermaid',
      'flowchart LR',
      `  A${i}[x --> B`,
      '```',
    ]);
    const answer = [
      '## Data Engineering Solution: Many files',
      '',
      ...sql.flat(),
      '',
      ...mermaid.flat(),
    ].join('\n');
    h.anthropic.script(textReply(answer));
    await h.command('design many small files', { channel_id: CHANNEL, user_id: ANA });
    await h.app.idle();
    const threadTs =
      h.query<{ thread_ts: string }>('select thread_ts from tasks order by id desc limit 1')[0]?.thread_ts ??
      '';
    const files = h.slack.filesIn(CHANNEL, threadTs);
    expect(files.map((f) => f.name)).toEqual(Array.from({ length: 10 }, (_, i) => `a${i + 1}.sql`));
    const thread = h.slack.threadMessages(CHANNEL, threadTs).map((m) => m.text ?? '');
    // Every diagram failed to parse: five were tried, their failures in one note.
    const failures = thread.filter((t) => t.includes('Diagram not rendered'));
    expect(failures).toHaveLength(1);
    expect(failures[0]?.split('\n')).toHaveLength(5);
    const skipped = thread.filter((t) => t.startsWith('Not uploaded as files'));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toContain('4 more code blocks (at most 10 files)');
    expect(skipped[0]).toContain('3 more diagrams (at most 5)');
    expect(skipped[0]).toContain('`a11.sql`');
  });
});
