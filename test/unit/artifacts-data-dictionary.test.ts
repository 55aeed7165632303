import { describe, expect, it } from 'vitest';
import { buildDataDictionary, dataDictionaryInput } from '../../src/core/artifacts/data-dictionary.js';
import {
  csvCell,
  dictionaryMarkdown,
  missingDescriptionsLine,
} from '../../src/core/artifacts/dictionary-format.js';
import { checksCovering, qualityChecks } from '../../src/core/artifacts/quality-checks.js';
import type { TableSchema } from '../../src/core/artifacts/table-schema.js';
import { extractCodeBlocks } from '../../src/core/checks/code-blocks.js';

const column = (name: string, position: number, extra: Partial<TableSchema['columns'][number]> = {}) => ({
  name,
  type: 'VARCHAR',
  nullable: true,
  position,
  primaryKey: false,
  unique: false,
  ...extra,
});

const TABLES: TableSchema[] = [
  {
    schema: 'main',
    name: 'events',
    columns: [column('event_id', 1, { primaryKey: true }), column('user_id', 2)],
  },
  { schema: 'staging', name: 'events', columns: [column('event_id', 1)] },
];

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['=HYPERLINK("a","b")', '"\'=HYPERLINK(""a"",""b"")"'],
    ['a;b', '"a;b"'],
    ['x;=1+1', '"x;\'=1+1"'],
    ['x, @cmd', '"x, \'@cmd"'],
    ['rows 1-2, a b', '"rows 1-2, a b"'],
    ['', ''],
  ])('%j → %j', (input, output) => expect(csvCell(input)).toBe(output));
});

describe('buildDataDictionary', () => {
  it('matches a bare table name only when one schema has it; reports entries that match nothing', () => {
    const input = dataDictionaryInput.parse({
      tables: [
        { table: 'events', description: 'ambiguous', columns: [{ name: 'event_id', description: 'x' }] },
        {
          table: 'staging.events',
          description: 'Raw events.',
          columns: [{ name: 'evnt_id', description: 'typo' }],
        },
        { table: 'sessions', description: 'not created' },
      ],
    });
    const dictionary = buildDataDictionary(TABLES, input);
    expect(dictionary.rows.map((r) => `${r.table}.${r.column}`)).toEqual([
      'events.event_id',
      'events.user_id',
      'staging.events.event_id',
    ]);
    expect(dictionary.tableDescriptions.get('events')).toBe('');
    expect(dictionary.tableDescriptions.get('staging.events')).toBe('Raw events.');
    expect(dictionary.unmatched).toEqual(['staging.events.evnt_id', 'events', 'sessions']);
    expect(dictionary.missing).toEqual([
      'events',
      'events.event_id',
      'events.user_id',
      'staging.events.event_id',
    ]);
  });

  it('works without any descriptions (everything is listed as missing)', () => {
    const dictionary = buildDataDictionary(TABLES, undefined);
    expect(dictionary.rows).toHaveLength(3);
    expect(dictionary.missing).toHaveLength(5);
    expect(missingDescriptionsLine(dictionary, 2)).toBe(
      'Data dictionary: 5 without a description: `events`, `events.event_id` and 3 more.',
    );
  });

  it('rejects tool input that is empty or oversized', () => {
    expect(dataDictionaryInput.safeParse({ tables: [] }).success).toBe(false);
    expect(
      dataDictionaryInput.safeParse({ tables: [{ table: 't', description: 'x'.repeat(501) }] }).success,
    ).toBe(false);
    expect(dataDictionaryInput.safeParse({ tables: [{ table: 't' }] }).success).toBe(true);
  });
});

describe('qualityChecks', () => {
  const answer = [
    '```sql',
    'CREATE TABLE events (event_id BIGINT, user_id BIGINT);',
    'SELECT count(*) FROM events WHERE user_id IS NULL;',
    '```',
    '```sql',
    '-- Data-quality checks',
    'SELECT count(*) FROM events WHERE user_id IS NULL;',
    '-- event_id is unique',
    'SELECT event_id FROM events GROUP BY 1 HAVING count(*) > 1;',
    'INSERT INTO audit VALUES (1);',
    '```',
    '```python title="tests/test_events.py"',
    'assert df.user_id.notna().all()',
    '```',
  ].join('\n');

  it('takes the statements of SQL blocks that say they check, named by their comment', () => {
    const checks = qualityChecks(extractCodeBlocks(answer));
    expect(checks.map((c) => c.name)).toEqual(['Data-quality checks', 'event_id is unique']);
    expect(checksCovering(checks, 'events', 'user_id')).toEqual(['Data-quality checks']);
    expect(checksCovering(checks, 'events', 'event_id')).toEqual(['event_id is unique']);
    // The column must appear as a word of its own, and the table too.
    expect(checksCovering(checks, 'events', 'user')).toEqual([]);
    expect(checksCovering(checks, 'sessions', 'user_id')).toEqual([]);
  });
});

describe('dictionaryMarkdown', () => {
  it('caps rows and cell widths, and escapes pipes and newlines', () => {
    const many: TableSchema = {
      schema: 'main',
      name: 'wide',
      columns: Array.from({ length: 50 }, (_, i) => column(`c${i}`, i + 1)),
    };
    const input = dataDictionaryInput.parse({
      tables: [
        { table: 'wide', columns: [{ name: 'c0', description: `a | b\nc ${'x'.repeat(100)}`, pii: true }] },
      ],
    });
    const markdown = dictionaryMarkdown(buildDataDictionary([many], input), {
      maxRows: 10,
      maxDescriptionChars: 20,
      maxCellChars: 32,
    });
    const rows = markdown.split('\n').filter((l) => /^\| c\d/.test(l));
    expect(rows).toHaveLength(10);
    expect(rows[0]).toBe('| c0 | VARCHAR | yes |  | 🔒 | a \\| b c xxxxxxxxxxx… |  |');
    expect(markdown).toMatch(/_…and 40 more columns in the CSV file\._$/);
  });

  it('never carries a live mention from a description', () => {
    const input = dataDictionaryInput.parse({
      tables: [
        {
          table: 'main.events',
          description: '<!channel> look',
          columns: [{ name: 'user_id', description: 'ask <@U123ABC>' }],
        },
      ],
    });
    const markdown = dictionaryMarkdown(buildDataDictionary(TABLES, input));
    expect(markdown).not.toMatch(/<!channel>|<@U123ABC>/);
    expect(markdown).toContain('ask @\u200bU123ABC');
  });
});
