import { describe, expect, it } from 'vitest';
import type { BlockCheck } from '../../src/core/checks/check-blocks.js';
import { extractCodeBlocks } from '../../src/core/checks/code-blocks.js';
import { correctedBlocks, repairRequest, withCorrections } from '../../src/core/checks/repair.js';

const checks: BlockCheck[] = [
  { index: 1, language: 'sql', line: 1, status: 'passed', method: 'ran in DuckDB' },
  {
    index: 2,
    language: 'sql',
    dialect: 'postgres',
    line: 5,
    status: 'failed',
    error: 'syntax error at or near "wher"',
    errorLine: 4,
  },
  { index: 3, language: 'yaml', line: 12, status: 'failed', error: 'Bad indentation', errorLine: 2 },
  { index: 4, language: 'python', line: 20, status: 'not_checked' },
];

describe('repair round', () => {
  it('asks once for the failed blocks only, with their errors and lines', () => {
    const text = repairRequest(checks) ?? '';
    expect(text).toContain(
      '- Block 2 (sql, postgres) failed at line 4 of the block: syntax error at or near "wher"',
    );
    expect(text).toContain('- Block 3 (yaml) failed at line 2 of the block: Bad indentation');
    expect(text).not.toMatch(/Block 1|Block 4/);
    expect(repairRequest(checks.filter((c) => c.status !== 'failed'))).toBeUndefined();
  });

  it('reads corrected blocks by their "Block N" line, ignoring blocks nobody asked for', () => {
    const reply = [
      'Block 2',
      '```sql',
      'select 1',
      '```',
      '**Corrected block 3**',
      '',
      '```yaml',
      'a: 1',
      '```',
      'Block 1',
      '```sql',
      'drop table everything',
      '```',
    ].join('\n');
    const found = correctedBlocks(reply, [2, 3]);
    expect([...found.keys()]).toEqual([2, 3]);
    expect(found.get(2)?.body).toBe('select 1');
    expect(found.get(3)?.body).toBe('a: 1');
  });

  it('a single unmarked block corrects the single failed block; otherwise unmarked blocks are ignored', () => {
    expect(correctedBlocks('```sql\nselect 2\n```', [2]).get(2)?.body).toBe('select 2');
    expect(correctedBlocks('```sql\nselect 2\n```', [2, 3]).size).toBe(0);
  });

  it('puts corrected bodies into the answer and leaves everything else as it was', () => {
    const answer = [
      'Intro',
      '```sql',
      'select 1',
      '```',
      'Middle',
      '  ```yaml',
      '  a:',
      '   - b',
      '  ```',
      'End',
    ].join('\n');
    const [, yaml] = extractCodeBlocks(answer);
    if (!yaml) throw new Error('no yaml block');
    const corrected = correctedBlocks('Block 2\n```yaml\na:\n  - b\n  - c\n```', [2]);
    const fixed = withCorrections(answer, corrected);
    expect(fixed).toBe(
      [
        'Intro',
        '```sql',
        'select 1',
        '```',
        'Middle',
        '  ```yaml',
        '  a:',
        '    - b',
        '    - c',
        '  ```',
        'End',
      ].join('\n'),
    );
    expect(extractCodeBlocks(fixed)[1]?.body).toBe('a:\n  - b\n  - c');
  });
});
