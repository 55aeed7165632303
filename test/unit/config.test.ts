import { describe, expect, it } from 'vitest';
import { formatConfigProblems, parseConfig } from '../../src/config.js';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'secret',
  ANTHROPIC_API_KEY: 'sk-ant-test',
};

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const result = parseConfig(valid);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.slack.apiUrl).toBe('https://slack.com/api/');
    expect(result.config.anthropic.model).toBe('claude-sonnet-5-5');
    expect(result.config.anthropic.smallModel).toBe('claude-haiku-5-5');
    expect(result.config.database).toEqual({ engine: 'sqlite', path: './data/data-engineer.db' });
    expect(result.config.http).toEqual({ port: 3000, host: '0.0.0.0' });
    expect(result.config.digest).toEqual({ time: '09:00', timeZone: undefined, postWhenEmpty: false });
    expect(result.config.botAdmins).toEqual([]);
    expect(result.config.logLevel).toBe('info');
  });

  it('shapes the SANDBOX_* variables into the sandbox limits, and SANDBOX_ENABLED=false turns it off', () => {
    const defaults = parseConfig(valid);
    expect(defaults.ok && defaults.config.sandbox).toEqual({
      memoryLimit: '256MB',
      maxChildRssMb: 556,
      statementTimeoutMs: 5_000,
      maxCallsPerSession: 25,
      sessionBudgetMs: 45_000,
      maxRows: 30,
      maxResultChars: 6_000,
    });
    const tuned = parseConfig({
      ...valid,
      SANDBOX_MEMORY_MB: '512',
      SANDBOX_STATEMENT_TIMEOUT_SECONDS: '2',
      SANDBOX_CALLS_PER_ANSWER: '10',
      SANDBOX_SECONDS_PER_ANSWER: '20',
      SANDBOX_MAX_ROWS: '5',
      SANDBOX_MAX_RESULT_CHARS: '1000',
    });
    expect(tuned.ok && tuned.config.sandbox).toEqual({
      memoryLimit: '512MB',
      maxChildRssMb: 812,
      statementTimeoutMs: 2_000,
      maxCallsPerSession: 10,
      sessionBudgetMs: 20_000,
      maxRows: 5,
      maxResultChars: 1_000,
    });
    const off = parseConfig({ ...valid, SANDBOX_ENABLED: 'false' });
    expect(off.ok && off.config.sandbox).toBeUndefined();
    const bad = parseConfig({ ...valid, SANDBOX_MEMORY_MB: '10GB', SANDBOX_ENABLED: 'maybe' });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.join('\n')).toMatch(/SANDBOX_MEMORY_MB must be a whole number from 32 to 8192/);
    expect(bad.problems.join('\n')).toMatch(/SANDBOX_ENABLED must be true or false/);
  });

  it('treats empty values (as in .env.example) as unset and names every missing one', () => {
    const result = parseConfig({
      SLACK_BOT_TOKEN: '',
      SLACK_SIGNING_SECRET: '',
      ANTHROPIC_API_KEY: '',
      PORT: '',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = formatConfigProblems(result.problems);
    expect(text).toMatch(/SLACK_BOT_TOKEN/);
    expect(text).toMatch(/SLACK_SIGNING_SECRET/);
    expect(text).toMatch(/ANTHROPIC_API_KEY/);
    expect(text).not.toMatch(/PORT/);
    expect(text).not.toMatch(/at .*\(.*:\d+:\d+\)/); // no stack trace
  });

  it('reports malformed values with how to fix them', () => {
    const result = parseConfig({
      ...valid,
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      PORT: 'eighty',
      DIGEST_TIME: '25:00',
      DIGEST_TIMEZONE: 'Mars/Olympus',
      LOG_LEVEL: 'loud',
      BOT_ADMINS: 'U123ABC, not-an-id',
      SLACK_API_URL: 'slack.com',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const joined = result.problems.join('\n');
    for (const name of [
      'SLACK_BOT_TOKEN',
      'PORT',
      'DIGEST_TIME',
      'DIGEST_TIMEZONE',
      'LOG_LEVEL',
      'BOT_ADMINS',
      'SLACK_API_URL',
    ]) {
      expect(joined).toContain(name);
    }
    expect(joined).toContain('xoxb-');
  });

  it('needs no signing secret in Socket Mode', () => {
    const result = parseConfig({ ...valid, SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-abc' });
    expect(result.ok).toBe(true);
  });

  it('adds the trailing slash the Web API client expects and parses admins', () => {
    const result = parseConfig({
      ...valid,
      SLACK_API_URL: 'http://127.0.0.1:9/api',
      BOT_ADMINS: 'U111AAA,W222BBB',
    });
    expect(result.ok && result.config.slack.apiUrl).toBe('http://127.0.0.1:9/api/');
    expect(result.ok && result.config.botAdmins).toEqual(['U111AAA', 'W222BBB']);
  });
});
