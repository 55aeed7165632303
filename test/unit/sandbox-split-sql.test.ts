import { describe, expect, it } from 'vitest';
import { lineAt, splitSqlStatements } from '../../src/core/sandbox/split-sql.js';

describe('splitSqlStatements', () => {
  it('splits on semicolons and gives each statement the line it starts on', () => {
    const sql = 'create table t (id int);\n\ninsert into t\nvalues (1);\n  select * from t';
    expect(splitSqlStatements(sql)).toEqual([
      { text: 'create table t (id int)', line: 1 },
      { text: 'insert into t\nvalues (1)', line: 3 },
      { text: 'select * from t', line: 5 },
    ]);
  });

  it('keeps semicolons inside strings, quoted names, dollar quotes and comments', () => {
    const sql = [
      "select 'a;b', 'it''s;' as \"x;y\";",
      '-- a comment; still a comment',
      '/* block; /* nested; */ still; */ select 2;',
      'create function f() returns int as $body$ select 1; $body$ language sql;',
      'select $$;$$',
    ].join('\n');
    const texts = splitSqlStatements(sql).map((s) => s.text);
    expect(texts).toHaveLength(4);
    expect(texts[0]).toBe("select 'a;b', 'it''s;' as \"x;y\"");
    expect(texts[1]).toContain('select 2');
    expect(texts[2]).toContain('$body$ select 1; $body$');
    expect(texts[3]).toBe('select $$;$$');
  });

  it('drops pieces that hold only blanks and comments, and a trailing semicolon', () => {
    expect(splitSqlStatements(';;\n-- nothing\n;\n/* x */;select 1;\n\n')).toEqual([
      { text: 'select 1', line: 4 },
    ]);
    expect(splitSqlStatements('   \n-- only a comment')).toEqual([]);
  });

  it('survives unterminated quotes and comments (DuckDB reports the error)', () => {
    expect(splitSqlStatements("select 'open;\nselect 2")).toHaveLength(1);
    expect(splitSqlStatements('select 1 /* open; select 2')).toHaveLength(1);
  });

  it('lineAt counts lines from 1', () => {
    expect(lineAt('a\nb\nc', 0)).toBe(1);
    expect(lineAt('a\nb\nc', 2)).toBe(2);
    expect(lineAt('a\nb\nc', 99)).toBe(3);
  });
});
