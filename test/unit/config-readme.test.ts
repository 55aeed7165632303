import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, type ConfigVariable, parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/**
 * The rows of the README's configuration table: the first table after "## Configuration". A row may
 * name several variables (`PORT`, `HOST`); its defaults cell then lists one default per variable.
 */
function readmeDefaults(markdown: string): Map<string, string> {
  const section = markdown.split(/^## Configuration\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = section
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    );
  const [header, separator, ...body] = rows;
  expect(header?.map((cell) => cell.toLowerCase())).toEqual(['variable', 'meaning', 'default']);
  expect(separator?.every((cell) => /^:?-+:?$/.test(cell))).toBe(true);
  const defaults = new Map<string, string>();
  for (const [names = '', , defaultsCell = ''] of body) {
    const variables = names.split(',').map((name) => name.trim().replace(/^`|`$/g, ''));
    const values = variables.length === 1 ? [defaultsCell] : defaultsCell.split(/,\s*/);
    expect(values, `one default per variable in the row for ${names}`).toHaveLength(variables.length);
    variables.forEach((name, i) => {
      expect(defaults.has(name), `${name} is listed once`).toBe(false);
      defaults.set(name, values[i] ?? '');
    });
  }
  return defaults;
}

/** What the README must say for a variable: the schema's wording, or its default in backticks. */
function expectedDefault(variable: ConfigVariable): string | undefined {
  if (variable.readmeDefault !== undefined) return variable.readmeDefault;
  return variable.default === undefined ? undefined : `\`${variable.default}\``;
}

describe("the README's configuration table", () => {
  const documented = readmeDefaults(readFileSync(README, 'utf8'));

  it('lists exactly the variables the config schema reads', () => {
    expect([...documented.keys()].sort()).toEqual(CONFIG_VARIABLES.map((v) => v.name).sort());
  });

  it.each(CONFIG_VARIABLES.map((v) => [v.name, v] as const))(
    'gives the schema’s default for %s',
    (name, variable) => {
      const expected = expectedDefault(variable);
      expect(expected, `${name} declares a default or a readmeDefault`).toBeDefined();
      expect(documented.get(name)).toBe(expected);
    },
  );
});

describe('the config schema', () => {
  it('marks the tokens, the signing secret, the API key, the store URL, the data sources and the metrics token as secret', () => {
    expect(CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name)).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_CLIENT_SECRET',
      'SLACK_STATE_SECRET',
      'TOKEN_ENCRYPTION_KEY',
      'TOKEN_ENCRYPTION_KEY_PREVIOUS',
      'SLACK_SIGNING_SECRET',
      'SLACK_APP_TOKEN',
      'ANTHROPIC_API_KEY',
      'DATABASE_URL',
      'DATA_SOURCES',
      'METRICS_TOKEN',
    ]);
  });

  it('hands the secret values to the log redactor', () => {
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-bot-token-123',
      SLACK_SIGNING_SECRET: 'signing-secret-456',
      SLACK_APP_TOKEN: 'xapp-app-token-789',
      ANTHROPIC_API_KEY: 'sk-ant-key-000',
      DATABASE_URL: 'postgres://bot:store-pass-111@db.internal:5432/deb',
    };
    const parsed = parseConfig(env);
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      secrets: parsed.config.secrets,
      sink: (l) => lines.push(l),
    });
    logger.info(`echoed ${Object.values(env).join(' ')}`, { env });
    // A driver's message may quote the password alone.
    logger.warn('password authentication failed for "bot" (store-pass-111)');
    for (const value of [...Object.values(env), 'store-pass-111'])
      expect(lines.join('\n')).not.toContain(value);
    expect(lines.join('\n')).toContain('[redacted]');
  });
});
