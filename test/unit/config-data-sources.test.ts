import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'secret',
  ANTHROPIC_API_KEY: 'sk-ant-test',
};

const URL_WITH_PASSWORD = 'postgres://ro_user:Sup3r-s3cret@warehouse.internal.example:5432/analytics';

describe('DATA_SOURCES', () => {
  it('has no sources by default and a 2,000-token result budget', () => {
    const parsed = parseConfig(valid);
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    expect(parsed.config.dataSources).toEqual([]);
    expect(parsed.config.dataTools.resultChars).toBe(8_000);
  });

  it('reads postgres and duckdb entries with their defaults', () => {
    const parsed = parseConfig({
      ...valid,
      DATA_SOURCES: JSON.stringify([
        { name: 'warehouse', kind: 'postgres', url: URL_WITH_PASSWORD },
        { name: 'lake', kind: 'duckdb', paths: { orders: '/data/orders/*.parquet' }, allowAnalyze: true },
      ]),
    });
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    expect(parsed.config.dataSources).toEqual([
      {
        name: 'warehouse',
        kind: 'postgres',
        url: URL_WITH_PASSWORD,
        allowAnalyze: false,
        statementTimeoutMs: 10_000,
        maxRows: 200,
        maxConnections: 2,
      },
      {
        name: 'lake',
        kind: 'duckdb',
        paths: { orders: '/data/orders/*.parquet' },
        allowAnalyze: true,
        statementTimeoutMs: 10_000,
        maxRows: 200,
        memoryLimitMb: 256,
      },
    ]);
  });

  it.each([
    ['not JSON', `[{"name": "w", "url": "${URL_WITH_PASSWORD}"`, /DATA_SOURCES is not valid JSON/],
    ['not a list', '{}', /DATA_SOURCES the list: must be a JSON list of sources/],
    [
      'an unknown kind',
      `[{"name":"w","kind":"mysql","url":"${URL_WITH_PASSWORD}"}]`,
      /kind must be "postgres" or "duckdb"/,
    ],
    [
      'an upper-case name',
      `[{"name":"Warehouse","kind":"postgres","url":"${URL_WITH_PASSWORD}"}]`,
      /entry 0.name: must be a lowercase slug/,
    ],
    [
      'a name used twice',
      `[{"name":"w","kind":"postgres","url":"${URL_WITH_PASSWORD}"},{"name":"w","kind":"duckdb","paths":{"t":"/x.csv"}}]`,
      /entry 1.name: "w" is used twice/,
    ],
    [
      'an http URL',
      '[{"name":"w","kind":"postgres","url":"http://x"}]',
      /must be a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    [
      'a relative path',
      '[{"name":"l","kind":"duckdb","paths":{"t":"data/x.csv"}}]',
      /must be an absolute file path/,
    ],
    [
      'a typo in a field',
      `[{"name":"w","kind":"postgres","url":"${URL_WITH_PASSWORD}","alowAnalyze":true}]`,
      /alowAnalyze/,
    ],
  ])('refuses %s, with a message that never shows the URL or password', (_name, value, expected) => {
    const parsed = parseConfig({ ...valid, DATA_SOURCES: value });
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? '' : parsed.problems.join('\n');
    expect(problems).toMatch(expected);
    expect(problems).not.toContain('Sup3r-s3cret');
    expect(problems).not.toContain('warehouse.internal');
  });

  it('hands every URL and password to the log redactor', () => {
    const parsed = parseConfig({
      ...valid,
      DATA_SOURCES: JSON.stringify([{ name: 'warehouse', kind: 'postgres', url: URL_WITH_PASSWORD }]),
    });
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      secrets: parsed.config.secrets,
      sink: (l) => lines.push(l),
    });
    logger.info(`connecting to ${URL_WITH_PASSWORD}`, { password: 'Sup3r-s3cret' });
    expect(lines.join('\n')).not.toContain('Sup3r-s3cret');
    expect(lines.join('\n')).not.toContain(URL_WITH_PASSWORD);
  });

  it('reads DATA_SOURCES_FILE as YAML, and refuses both at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sources-'));
    try {
      const file = join(dir, 'sources.yaml');
      await writeFile(file, `- name: lake\n  kind: duckdb\n  paths:\n    orders: /data/orders.parquet\n`);
      const parsed = parseConfig({ ...valid, DATA_SOURCES_FILE: file });
      if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
      expect(parsed.config.dataSources.map((s) => s.name)).toEqual(['lake']);
      const both = parseConfig({ ...valid, DATA_SOURCES_FILE: file, DATA_SOURCES: '[]' });
      expect(both.ok ? '' : both.problems.join('\n')).toMatch(
        /DATA_SOURCES_FILE is set together with DATA_SOURCES/,
      );
      const missing = parseConfig({ ...valid, DATA_SOURCES_FILE: join(dir, 'nope.yaml') });
      expect(missing.ok ? '' : missing.problems.join('\n')).toMatch(
        /DATA_SOURCES_FILE cannot be read \(ENOENT\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
