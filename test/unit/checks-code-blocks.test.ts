import { describe, expect, it } from 'vitest';
import { extractCodeBlocks, proseLines } from '../../src/core/checks/code-blocks.js';
import {
  answerDialect,
  blockDialect,
  dialectFromWord,
  isSqlLanguage,
} from '../../src/core/checks/dialect.js';

const ANSWER = [
  '## Solution', // 1
  'Dialect: PostgreSQL', // 2
  '```sql', // 3
  'create table t (id int);', // 4
  '```', // 5
  '', // 6
  '~~~yaml title="dag"', // 7
  'a: 1', // 8
  '```', // 9 (not a closer for a ~~~ fence)
  '~~~', // 10
  '  ````sql snowflake', // 11
  '  select 1', // 12
  '  ```', // 13 (too short to close a 4-backtick fence)
  '  ````', // 14
  '```', // 15 unclosed, no language
  'plain',
].join('\n');

describe('extractCodeBlocks', () => {
  it('finds each fenced block with its language, info string, body and line', () => {
    const blocks = extractCodeBlocks(ANSWER);
    expect(blocks.map((b) => [b.index, b.language, b.info, b.line, b.bodyLine])).toEqual([
      [1, 'sql', 'sql', 3, 4],
      [2, 'yaml', 'yaml title="dag"', 7, 8],
      [3, 'sql', 'sql snowflake', 11, 12],
      [4, '', '', 15, 16],
    ]);
    expect(blocks[0]?.body).toBe('create table t (id int);');
    expect(blocks[1]?.body).toBe('a: 1\n```');
    expect(blocks[2]?.body).toBe('select 1\n```');
    expect(blocks[3]?.body).toBe('plain');
  });

  it('ignores a backtick fence whose info string holds a backtick (inline code)', () => {
    expect(extractCodeBlocks('```not `a` fence\nx\n```')).toHaveLength(1);
    expect(extractCodeBlocks('```not `a` fence\nx\n```')[0]?.line).toBe(3);
  });

  it('reads info strings like {.sql} and CRLF answers', () => {
    const blocks = extractCodeBlocks('```{.SQL}\r\nselect 1\r\n```\r\n');
    expect(blocks[0]?.language).toBe('sql');
    expect(blocks[0]?.body).toBe('select 1');
  });

  it('proseLines leaves out everything inside blocks', () => {
    expect(proseLines('a\n```\nDialect: mysql\n```\nb')).toEqual(['a', 'b']);
  });
});

describe('dialects', () => {
  it('knows the dialect names and their common spellings', () => {
    expect(dialectFromWord('PostgreSQL')).toBe('postgres');
    expect(dialectFromWord('**Snowflake**')).toBe('snowflake');
    expect(dialectFromWord('T-SQL')).toBe('tsql');
    expect(dialectFromWord('presto')).toBe('trino');
    expect(dialectFromWord('oracle')).toBeUndefined();
    expect(dialectFromWord('constructor')).toBeUndefined();
    expect(isSqlLanguage('sql')).toBe(true);
    expect(isSqlLanguage('pgsql')).toBe(true);
    expect(isSqlLanguage('python')).toBe(false);
  });

  it('a prose line declares the dialect for plain sql blocks; the fence wins', () => {
    expect(answerDialect(ANSWER)).toBe('postgres');
    expect(answerDialect('**SQL dialect:** Snowflake\n')).toBe('snowflake');
    expect(answerDialect('- Target dialect: `BigQuery`')).toBe('bigquery');
    expect(answerDialect('```\nDialect: mysql\n```')).toBeUndefined();
    expect(answerDialect('The dialect matters.')).toBeUndefined();
    const [plain, , fenced] = extractCodeBlocks(ANSWER);
    if (!plain || !fenced) throw new Error('blocks missing');
    expect(blockDialect(plain, 'postgres')).toBe('postgres');
    expect(blockDialect(fenced, 'postgres')).toBe('snowflake');
    const [viaKey] = extractCodeBlocks('```sql dialect=bigquery\nselect 1\n```');
    const [viaLanguage] = extractCodeBlocks('```duckdb\nselect 1\n```');
    const [undeclared] = extractCodeBlocks('```sql\nselect 1\n```');
    if (!viaKey || !viaLanguage || !undeclared) throw new Error('blocks missing');
    expect(blockDialect(viaKey, undefined)).toBe('bigquery');
    expect(blockDialect(viaLanguage, 'postgres')).toBe('duckdb');
    expect(blockDialect(undeclared, undefined)).toBeUndefined();
  });
});
