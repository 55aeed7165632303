import { describe, expect, it } from 'vitest';
import { diagramFiles } from '../../src/core/artifacts/diagram-names.js';
import { codeFiles, sanitisePath } from '../../src/core/artifacts/file-names.js';
import { extractCodeBlocks } from '../../src/core/checks/code-blocks.js';

const fence = (info: string, body: string) => `\`\`\`${info}\n${body}\n\`\`\``;
const names = (...blocks: string[]) =>
  codeFiles(extractCodeBlocks(blocks.join('\n\nSome prose.\n\n'))).map((f) => f.path);
const lines = (n: number, line = 'x = 1') => Array.from({ length: n }, () => line).join('\n');

describe('codeFiles: names the agent gives', () => {
  it('takes file=, title="…", path= and language:path from the info string', () => {
    expect(
      names(
        fence('sql file=fct_sessions.sql', 'SELECT 1'),
        fence('python title="dags/sessions_daily.py"', 'print(1)'),
        fence("yaml path='dbt/models/schema.yml'", 'a: 1'),
        fence('python:jobs/backfill.py', 'print(2)'),
      ),
    ).toEqual(['fct_sessions.sql', 'dags/sessions_daily.py', 'dbt/models/schema.yml', 'jobs/backfill.py']);
  });

  it('takes a path on the first comment line, and adds the extension a bare name lacks', () => {
    expect(
      names(
        fence('python', `# dags/orders_hourly.py\n${lines(16)}`),
        fence('sql name=stg_orders', 'SELECT 1'),
      ),
    ).toEqual(['dags/orders_hourly.py', 'stg_orders.sql']);
  });

  it('a path comment alone does not make a short snippet a file; a name in the info string does', () => {
    expect(
      names(
        fence(
          'sql',
          '-- models/marts/user_daily_activity.sql\nselect user_id, count(*) from events group by 1',
        ),
        fence('python', '# jobs/util.py\nprint(1)'),
        fence('sql file=models/marts/short.sql', 'select 1'),
      ),
    ).toEqual(['models/marts/short.sql']);
  });
});

describe('codeFiles: names from the content', () => {
  it('names DDL after the first table or view it creates', () => {
    expect(
      names(
        fence('sql', 'CREATE TABLE analytics.fct_sessions (id BIGINT);'),
        fence(
          'postgres',
          'create or replace materialized view if not exists "mart"."Daily Revenue" as select 1;',
        ),
        fence('sql', 'CREATE TRANSIENT TABLE raw.events_v2 (x INT)'),
      ),
    ).toEqual(['fct_sessions.sql', 'Daily_Revenue.sql', 'events_v2.sql']);
  });

  it('names an Airflow DAG after its dag_id, in dags/', () => {
    expect(
      names(
        fence('python', 'with DAG(dag_id="sessions_daily", schedule="@daily") as dag:\n    pass'),
        fence('python', 'dag = DAG(\n    "orders_hourly",\n)'),
        fence('python', '@dag(schedule="@daily")\ndef marketing_spend():\n    pass'),
      ),
    ).toEqual(['dags/sessions_daily.py', 'dags/orders_hourly.py', 'dags/marketing_spend.py']);
  });

  it('names dbt YAML and other configuration', () => {
    expect(
      names(
        fence('yaml', 'version: 2\nmodels:\n  - name: fct_sessions'),
        fence('yml', 'version: 2\nsources:\n  - name: raw'),
        fence('yaml', "name: analytics\nprofile: warehouse\nversion: '1.0'"),
        fence('dockerfile', 'FROM python:3.12'),
      ),
    ).toEqual(['dbt/schema.yml', 'dbt/sources.yml', 'dbt_project.yml', 'Dockerfile']);
  });

  it('falls back to block-<n>.<ext> for long blocks with no name in them', () => {
    expect(
      names(fence('python', lines(20)), fence('sql', lines(16, 'SELECT 1;')), fence('scala', lines(30))),
    ).toEqual(['block-1.py', 'block-2.sql', 'block-3.scala']);
  });
});

describe('codeFiles: which blocks', () => {
  it('leaves out short snippets, output, diagrams and unlabelled blocks; keeps any DDL, DAG or config', () => {
    const files = codeFiles(
      extractCodeBlocks(
        [
          fence('sql', 'SELECT count(*) FROM orders;'),
          fence('text', lines(40)),
          fence('mermaid', `flowchart LR\n${lines(20, 'a --> b')}`),
          fence('', lines(40)),
          fence('python', 'print("hello")'),
          fence('sql', 'ALTER TABLE orders ADD COLUMN note VARCHAR;'),
          fence('json', '{"a": 1}'),
        ].join('\n'),
      ),
    );
    expect(files.map((f) => [f.blockIndex, f.path, f.source])).toEqual([
      [6, 'block-6.sql', 'fallback'],
      [7, 'block-7.json', 'fallback'],
    ]);
  });
});

describe('codeFiles: safety and uniqueness', () => {
  it('never yields absolute paths, parent directories, hidden files or unsafe characters', () => {
    const hostile = [
      '/etc/passwd',
      '../../../root/.ssh/authorized_keys',
      'C:\\Windows\\system32\\evil.bat',
      'dags/../../x.py',
      '.env',
      'a b;rm -rf $(x)|<y>.sql',
      '..',
      '~/notes.txt',
    ];
    const paths = codeFiles(
      extractCodeBlocks(hostile.map((n) => fence(`sql file="${n}"`, 'SELECT 1')).join('\n')),
    ).map((f) => f.path);
    expect(paths).toEqual([
      'etc/passwd.sql',
      'root/ssh/authorized_keys.sql',
      'Windows/system32/evil.bat',
      'dags/x.py',
      'env.sql',
      'a_b_rm_-rf_x_y_.sql',
      'block-7.sql',
      'notes.txt',
    ]);
    for (const path of paths) {
      expect(path).toMatch(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/);
      expect(path.split('/')).not.toContain('..');
    }
  });

  it('caps the length, keeping the extension', () => {
    const long = sanitisePath(`${'deep/'.repeat(10)}${'n'.repeat(200)}.sql`);
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long).toMatch(/n\.sql$/);
    expect(long.split('/').length).toBeLessThanOrEqual(4);
  });

  it('makes names unique within the answer (case-insensitively)', () => {
    expect(
      names(
        fence('sql', 'CREATE TABLE a.fct_orders (x INT);'),
        fence('sql', 'CREATE TABLE b.fct_orders (x INT);'),
        fence('sql file=FCT_ORDERS.sql', 'SELECT 1'),
      ),
    ).toEqual(['fct_orders.sql', 'fct_orders-2.sql', 'FCT_ORDERS-3.sql']);
  });
});

describe('diagramFiles', () => {
  it('names pictures after the title the agent gives or the diagram kind, unique against the code files', () => {
    const blocks = extractCodeBlocks(
      [
        fence('mermaid', 'erDiagram\n  A ||--o{ B : has'),
        fence('mermaid title="docs/orders pipeline.mmd"', 'flowchart LR\n  a --> b'),
        fence('mermaid', '%% second\nerDiagram\n  A ||--o{ C : has'),
        fence('mermaid', 'flowchart TD\n  a --> b'),
        fence('sql file=flowchart.png', 'SELECT 1'),
      ].join('\n'),
    );
    const taken = codeFiles(blocks).map((f) => f.path);
    expect(taken).toEqual(['flowchart.png']);
    expect(diagramFiles(blocks, taken).map((f) => f.path)).toEqual([
      'er-diagram.png',
      'docs/orders_pipeline.png',
      'er-diagram-2.png',
      'flowchart-2.png',
    ]);
  });
});
