import { describe, expect, it } from 'vitest';
import { claimedFormat, tableNameFor } from '../../src/core/files/table-names.js';
import { fileNameCode, fileRefusedText, filesNote } from '../../src/render/shared-file-texts.js';
import { loadFailureReason } from '../../src/sandbox/file-load-failure.js';
import { decide, type FileSample, sniff } from '../../src/sandbox/file-sniff.js';
import { slackFileOrigin } from '../../src/slack/shared-files.js';

function sample(bytes: Uint8Array | string, utf8 = true): FileSample {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return { head: data.slice(0, 65_536), tail: data.slice(-4), size: data.length, utf8 };
}

describe('shared files: type by content', () => {
  it('Parquet needs PAR1 at both ends; a file that starts with it but is cut is called truncated', () => {
    expect(
      sniff(sample(Uint8Array.from([0x50, 0x41, 0x52, 0x31, 1, 2, 0x50, 0x41, 0x52, 0x31]), false)),
    ).toEqual({
      kind: 'parquet',
    });
    expect(sniff(sample(Uint8Array.from([0x50, 0x41, 0x52, 0x31, 1, 2, 3, 4, 5]), false))).toEqual({
      kind: 'binary',
      looksLike: 'a truncated Parquet file',
    });
  });

  it('names what binary files look like', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]);
    expect(decide('csv', sniff(sample(png, false)))).toEqual({
      ok: false,
      reason: 'not CSV: it looks like a PNG image',
    });
    expect(decide('parquet', sniff(sample('%PDF-1.7 …')))).toEqual({
      ok: false,
      reason: 'not Parquet: it looks like a PDF document',
    });
  });

  it('CSV/TSV need a consistent delimiter (quoted delimiters do not count); the name decides nothing', () => {
    expect(decide('csv', sniff(sample('a,b\n"x, y",2\n3,4\n')))).toEqual({
      ok: true,
      format: 'csv',
      delimiter: ',',
    });
    expect(decide('csv', sniff(sample('a\tb\n1\t2\n')))).toEqual({
      ok: true,
      format: 'tsv',
      delimiter: '\t',
    });
    expect(decide('tsv', sniff(sample('a;b\n1;2\n')))).toEqual({ ok: true, format: 'csv', delimiter: ';' });
    expect(decide('csv', sniff(sample('a,b,c\n1,2\n')))).toMatchObject({ ok: false });
    expect(decide('csv', sniff(sample('{"a":1}\n')))).toEqual({
      ok: false,
      reason: 'not CSV: it looks like JSON',
    });
  });

  it('JSON is an array, an object or NDJSON; .sql is any UTF-8 text; an unnamed file needs a known shape', () => {
    expect(decide('json', sniff(sample('  [{"a":1}]')))).toEqual({ ok: true, format: 'json' });
    expect(decide('sql', sniff(sample('select 1;')))).toEqual({ ok: true, format: 'sql' });
    expect(decide(undefined, sniff(sample('a,b\n1,2\n')))).toMatchObject({ ok: true, format: 'csv' });
    expect(decide(undefined, sniff(sample('hello world\n')))).toMatchObject({ ok: false });
  });
});

describe('shared files: names', () => {
  it('table names are plain, unique identifiers from the file name', () => {
    expect(tableNameFor('orders.csv', new Set())).toBe('orders_csv');
    expect(tableNameFor('orders.csv', new Set(['orders_csv']))).toBe('orders_csv_2');
    expect(tableNameFor('2024 Q1 — Sales.parquet', new Set())).toBe('t_2024_q1_sales_parquet');
    expect(tableNameFor('"; drop table x; --.csv', new Set())).toBe('drop_table_x_csv');
    expect(tableNameFor('…', new Set())).toBe('file');
    expect(tableNameFor(`${'x'.repeat(100)}.csv`, new Set()).length).toBeLessThanOrEqual(48);
    expect(claimedFormat('a.NDJSON')).toBe('json');
    expect(claimedFormat('a.xlsx')).toBeUndefined();
  });

  it('a person’s file name cannot break out of its code span, link or mention anyone', () => {
    expect(fileNameCode('x`<!channel>`&.csv')).toBe('`x!channel.csv`');
    expect(fileRefusedText('a.csv', 'not CSV: it looks like a PNG image')).toBe(
      ':warning: Not read: `a.csv` is not CSV: it looks like a PNG image.',
    );
  });

  it('a refusal reason that carries file content cannot mention or link in a post', () => {
    const hostile =
      'not valid JSON: "<!channel> Your Slack session expired: <https://e.x|Sign in>" & card 4111 1111 1111 1111 <@U0ANA0001>';
    const text = fileRefusedText('inject.json', hostile);
    expect(text.startsWith(':warning: Not read: `inject.json` is ')).toBe(true);
    expect(text).not.toMatch(/[<>]/);
    expect(text).not.toMatch(/<!channel>|<@U|<https/);
    expect(text).toContain('&lt;https://e.x|Sign in&gt;');
    expect(text).toContain('&amp;');
    expect(text).toContain('@\u200Bchannel');
  });

  it('DuckDB’s error text is classified, never copied: fixed reasons with a line number only', () => {
    const json =
      'Invalid Input Error: JSON transform error in file "/tmp/deb-files-1-x/f1.bin", in line 20481: Failed to cast value to numerical: "<!channel> Your Slack session expired: <https://e...';
    expect(loadFailureReason('json', json)).toBe(
      "not valid JSON: a value in line 20,481 does not match its column's type",
    );
    const csv =
      'Conversion Error: CSV Error on Line: 30002\nOriginal Line: 4111111111111111,x\nError when converting column "b". Could not convert string "x" to \'BIGINT\'';
    expect(loadFailureReason('csv', csv)).toBe(
      "not valid CSV: a value in line 30,002 does not match its column's type",
    );
    expect(loadFailureReason('csv', 'Invalid Input Error: Expected Number of Columns: 3 Found: 2')).toBe(
      'not valid CSV: a line does not fit the columns of the first lines',
    );
    expect(loadFailureReason('parquet', 'Something "secret@x.com" odd')).toBe(
      'not valid Parquet: the engine could not read it',
    );
    expect(loadFailureReason('json', 'Out of Memory Error: failed to allocate')).toBe(
      "too large for the sandbox's memory",
    );
  });

  it('the agent’s files note stays within its budget and names what it leaves out', () => {
    const columns = Array.from({ length: 60 }, (_, i) => ({
      name: `column_${i}`,
      type: 'BIGINT',
      nullShare: 0,
      distinct: 10,
    }));
    const entries = Array.from({ length: 10 }, (_, i) => ({
      kind: 'table' as const,
      name: `t${i}.csv`,
      table: `t${i}_csv`,
      rows: 1_204,
      columns,
    }));
    const note = filesNote(entries, 4_000);
    expect(note.length).toBeLessThanOrEqual(4_200);
    expect(note).toContain('t0.csv → table `t0_csv`, 1,204 rows × 60 columns');
    expect(note).toContain('… 20 more columns');
    expect(note).toMatch(/not described here, for length: .*`t9_csv`/);
  });
});

describe('shared files: Slack’s file host', () => {
  it('is files.slack.com for Slack, and the API’s own origin for a proxy or a fake', () => {
    expect(slackFileOrigin('https://slack.com/api/')).toBe('https://files.slack.com');
    expect(slackFileOrigin('https://slack-gov.com/api/')).toBe('https://files.slack-gov.com');
    expect(slackFileOrigin('http://127.0.0.1:4567/api/')).toBe('http://127.0.0.1:4567');
    // Not https: not Slack's file host, whatever the name says.
    expect(slackFileOrigin('http://slack.com/api/')).toBe('http://slack.com');
  });
});
