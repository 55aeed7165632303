import { describe, expect, it } from 'vitest';
import type { BlockCheck } from '../../src/core/checks/check-blocks.js';
import { renderCheckLine, renderCheckMessage } from '../../src/render/check-messages.js';

const LIVE =
  /<(?:!(?:channel|here|everyone)|!subteam\^|@[UW])|(?<![\p{L}\p{N}])@(?:channel|here|everyone)(?![\p{L}\p{N}])/iu;

const checks: BlockCheck[] = [
  { index: 1, language: 'sql', dialect: 'postgres', line: 3, status: 'passed', method: 'ran in DuckDB' },
  {
    index: 2,
    language: 'yaml',
    line: 9,
    status: 'failed',
    method: 'YAML parser',
    error: 'Nested mappings are not allowed in compact mappings',
    errorLine: 4,
  },
  {
    index: 3,
    language: 'sql',
    dialect: 'snowflake',
    line: 20,
    status: 'not_checked',
    note: 'the snowflake parser (node-sql-parser) does not cover this',
  },
  { index: 4, language: 'python', line: 30, status: 'not_checked', note: 'no checker for this language' },
];

describe('renderCheckMessage', () => {
  it('lists every block with ✓/✗/– and, for ✗, the first error line and the line in the block', () => {
    const text = renderCheckMessage(checks) ?? '';
    const lines = text.split('\n');
    expect(lines[0]).toBe('*Code checked by the bot* (1 ✓ · 1 ✗ · 2 not checked)');
    expect(lines[1]).toBe('✓ Block 1 (SQL, PostgreSQL): ran in DuckDB');
    expect(lines[2]).toBe(
      '✗ Block 2 (YAML): line 4 of the block, YAML parser: `Nested mappings are not allowed in compact mappings`',
    );
    expect(lines[3]).toMatch(/^– Block 3 \(SQL, Snowflake\): not checked \(/);
    expect(lines[4]).toBe('– Block 4 (PYTHON): not checked (no checker for this language)');
  });

  it('has no message for an answer without code blocks', () => {
    expect(renderCheckMessage([])).toBeUndefined();
  });

  it('can never mention anyone or form a link, whatever the error text holds', () => {
    const hostile: BlockCheck = {
      index: 1,
      language: 'sql<!here>',
      line: 1,
      status: 'failed',
      error: 'syntax error at or near "<!channel>" <@U123|boss> @here <https://evil|x> `break` <!subteam^S1>',
      errorLine: 2,
      method: 'DuckDB <!everyone>',
    };
    for (const format of ['mrkdwn', 'markdown'] as const) {
      const text =
        renderCheckMessage(
          [hostile, { ...hostile, status: 'not_checked', note: '@everyone <@W1>' }],
          format,
        ) ?? '';
      expect(text).not.toMatch(LIVE);
      if (format === 'mrkdwn') expect(text).not.toMatch(/<[^>]*>/);
      // The error stays inside one inline-code span.
      expect((text.split('\n')[1]?.match(/`/g) ?? []).length).toBe(2);
    }
  });

  it('bounds long errors to one line', () => {
    const line = renderCheckLine({ ...checks[1], error: `x\n${'y'.repeat(5000)}` } as BlockCheck);
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThan(400);
  });

  it('a corrected block can be labelled', () => {
    expect(renderCheckLine(checks[0] as BlockCheck, 'markdown', 'Corrected block 1')).toBe(
      '✓ Corrected block 1 (SQL, PostgreSQL): ran in DuckDB',
    );
  });
});
