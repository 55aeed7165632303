import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { TokenCipher } from '../../src/security/token-cipher.js';
import { parseTokenKey } from '../../src/security/token-key.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteInstallationStore } from '../../src/store/installation-repo.js';

const base = { SLACK_SIGNING_SECRET: 'secret', ANTHROPIC_API_KEY: 'sk-ant-test' };
const key = () => randomBytes(32).toString('base64');
const oauth = () => ({
  SLACK_CLIENT_ID: '1111.2222',
  SLACK_CLIENT_SECRET: 'client-secret-abc',
  SLACK_STATE_SECRET: 'state-secret-0123456789',
  TOKEN_ENCRYPTION_KEY: key(),
});

describe('OAuth install configuration', () => {
  it('turns on with all four variables, SLACK_BOT_TOKEN then optional', () => {
    const result = parseConfig({ ...base, ...oauth() });
    expect(result.ok).toBe(true);
    expect(result.ok && result.config.slack.oauth?.clientId).toBe('1111.2222');
    expect(result.ok && result.config.slack.botToken).toBeUndefined();
  });

  it('stays off (single workspace, bot token required) with none of them', () => {
    const result = parseConfig(base);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join('\n')).toMatch(/^SLACK_BOT_TOKEN is not set/m);
    const single = parseConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(single.ok && single.config.slack.oauth).toBeUndefined();
  });

  it('names each missing variable when only some are set', () => {
    const { SLACK_CLIENT_SECRET: _s, TOKEN_ENCRYPTION_KEY: _k, ...partial } = oauth();
    const result = parseConfig({ ...base, ...partial });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.some((p) => p.startsWith('SLACK_CLIENT_SECRET is not set'))).toBe(true);
    expect(problems.some((p) => p.startsWith('TOKEN_ENCRYPTION_KEY is not set'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SLACK_CLIENT_ID'))).toBe(false);
  });

  it.each([
    ['16 bytes of base64', randomBytes(16).toString('base64')],
    ['31 bytes of hex', randomBytes(31).toString('hex')],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses a wrong-length key (%s), without echoing it', (_label, bad) => {
    const result = parseConfig({ ...base, ...oauth(), TOKEN_ENCRYPTION_KEY: bad });
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : result.problems.join('\n');
    expect(text).toMatch(/TOKEN_ENCRYPTION_KEY must be 32 random bytes/);
    expect(text).not.toContain(bad);
  });

  it('accepts a 64-character hex key and redacts the client secret, state secret and key from logs', () => {
    const env = { ...base, ...oauth(), TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    const result = parseConfig(env);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      secrets: result.config.secrets,
      sink: (l) => lines.push(l),
    });
    logger.info('oops', {
      a: env.SLACK_CLIENT_SECRET,
      b: env.SLACK_STATE_SECRET,
      c: env.TOKEN_ENCRYPTION_KEY,
    });
    const line = lines.join('\n');
    for (const secret of [env.SLACK_CLIENT_SECRET, env.SLACK_STATE_SECRET, env.TOKEN_ENCRYPTION_KEY])
      expect(line).not.toContain(secret);
  });
});

describe('bot tokens at rest', () => {
  const installation = (teamId: string, botToken: string) => ({
    enterpriseId: undefined,
    teamId,
    isEnterpriseInstall: false,
    appId: 'A1',
    botToken,
    botId: 'B1',
    botUserId: 'U1',
    botScopes: ['chat:write', 'commands'],
    installerUserId: 'U0INSTALL',
    url: undefined,
  });

  it('are sealed with a fresh IV each time and open only under the row they were sealed for', () => {
    const cipher = new TokenCipher(parseTokenKey(key()) as NonNullable<ReturnType<typeof parseTokenKey>>);
    const one = cipher.seal('xoxb-secret', 'T:T1');
    const two = cipher.seal('xoxb-secret', 'T:T1');
    expect(one.sealed).not.toBe(two.sealed);
    expect(one.sealed).not.toContain('xoxb');
    expect(cipher.open(one, 'T:T1')).toBe('xoxb-secret');
    expect(() => cipher.open(one, 'T:T2')).toThrow();
    const [iv, tag, body] = one.sealed.split('.');
    const flipped = `${iv}.${tag}.${Buffer.from(Buffer.from(body ?? '', 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64url')}`;
    expect(() => cipher.open({ ...one, sealed: flipped }, 'T:T1')).toThrow();
  });

  it('a reinstall updates the row; rotation re-seals every token under the new key', async () => {
    const { sqlite, close } = openDatabase(':memory:');
    const oldKey = parseTokenKey(key()) as NonNullable<ReturnType<typeof parseTokenKey>>;
    const newKey = parseTokenKey(key()) as NonNullable<ReturnType<typeof parseTokenKey>>;
    const before = new SqliteInstallationStore(sqlite, new TokenCipher(oldKey));
    await before.save(installation('T1', 'xoxb-first'));
    await before.save(installation('T1', 'xoxb-second'));
    expect(sqlite.prepare('select count(*) as n from installations').get()).toEqual({ n: 1 });
    expect((await before.findForTeam('T1'))?.botToken).toBe('xoxb-second');

    // Without the old key the stored token cannot be opened.
    await expect(
      new SqliteInstallationStore(sqlite, new TokenCipher(newKey)).findForTeam('T1'),
    ).rejects.toThrow();
    const rotating = new SqliteInstallationStore(sqlite, new TokenCipher(newKey, oldKey));
    expect(await rotating.resealUnderCurrentKey()).toBe(1);
    const row = sqlite.prepare('select token_key_id from installations').get() as { token_key_id: string };
    expect(row.token_key_id).toBe(newKey.id);
    const after = new SqliteInstallationStore(sqlite, new TokenCipher(newKey));
    expect((await after.findForTeam('T1'))?.botToken).toBe('xoxb-second');
    close();
  });

  it('serves the workspaces of an organisation-wide install through their link', async () => {
    const { sqlite, close } = openDatabase(':memory:');
    const store = new SqliteInstallationStore(
      sqlite,
      new TokenCipher(parseTokenKey(key()) as NonNullable<ReturnType<typeof parseTokenKey>>),
    );
    await store.save({
      ...installation('ignored', 'xoxb-org'),
      teamId: undefined,
      enterpriseId: 'E1',
      isEnterpriseInstall: true,
    });
    expect(await store.findForTeam('T9')).toBeUndefined();
    await store.linkWorkspace('T9', 'E1');
    expect((await store.findForTeam('T9'))?.botToken).toBe('xoxb-org');
    expect(await store.workspacesOf('E1')).toEqual(['T9']);
    expect(await store.installedTeams()).toEqual(['T9']);
    close();
  });
});
