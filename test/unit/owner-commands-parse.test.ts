import { describe, expect, it } from 'vitest';
import { parseOwnerMention, parseRole } from '../../src/core/collaboration/owner-mention.js';
import { parseCommandText } from '../../src/core/parse-command.js';
import { topicKey } from '../../src/store/collaboration-rows.js';

describe('parseOwnerMention', () => {
  it.each([
    ['<@U0SAM0001|sam>', { kind: 'user', id: 'U0SAM0001' }],
    ['<@U0SAM0001>', { kind: 'user', id: 'U0SAM0001' }],
    ['<@W0ENT0001|grid user>', { kind: 'user', id: 'W0ENT0001' }],
    ['<!subteam^S0SEC0001|@security-team>', { kind: 'group', id: 'S0SEC0001' }],
    ['<!subteam^S0SEC0001>', { kind: 'group', id: 'S0SEC0001' }],
    ['  <@U0SAM0001>  ', { kind: 'user', id: 'U0SAM0001' }],
  ])('accepts %j', (text, owner) => {
    expect(parseOwnerMention(text, 'security')).toEqual({ ok: true, value: owner });
  });

  it.each([
    ['<!here>', 'not @here'],
    ['<!channel|channel>', 'not @channel'],
    ['<!EVERYONE>', 'not @everyone'],
    ['@here', 'not @here'],
    ['@Channel', 'not @channel'],
    ['<#C0DATA001|data>', 'That is a channel'],
    ['@sam', "couldn't find a Slack user or group in “@sam”"],
    ['sam', "couldn't find"],
    ['<@sam>', "couldn't find"],
    ['<@U0SAM0001', "couldn't find"],
    ['<!subteam^>', "couldn't find"],
    ['', 'Who should own security?'],
  ])('rejects %j with a specific message', (text, message) => {
    const parsed = parseOwnerMention(text, 'security');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toContain(message);
      expect(parsed.message).toContain('/data-engineer owners set security @someone');
    }
  });

  it('never echoes a live broadcast or mention back', () => {
    const parsed = parseOwnerMention('<!here> and <@U0EVIL001>', 'qa');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).not.toMatch(/<!here>|<@U0EVIL001>/);
  });
});

describe('parseRole', () => {
  it('accepts the four roles in any case and names them when it does not know one', () => {
    expect(parseRole('Security')).toEqual({ ok: true, value: 'security' });
    expect(parseRole('QA')).toEqual({ ok: true, value: 'qa' });
    const unknown = parseRole('dba');
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.message).toContain('`backend`, `devops`, `security`, `qa`');
  });
});

describe('parseCommandText: owners and requests', () => {
  it.each([
    ['owners', { kind: 'owners-show' }],
    ['Owners list', { kind: 'owners-show' }],
    ['requests', { kind: 'requests' }],
    [
      'owners set security <@U0SAM0001|sam>',
      { kind: 'owners-set', role: 'security', owner: { kind: 'user', id: 'U0SAM0001' }, scope: 'workspace' },
    ],
    [
      'owners set qa <!subteam^S0QA00001|@qa team> --channel',
      { kind: 'owners-set', role: 'qa', owner: { kind: 'group', id: 'S0QA00001' }, scope: 'channel' },
    ],
    ['owners clear devops --channel', { kind: 'owners-clear', role: 'devops', scope: 'channel' }],
    ['owners clear backend', { kind: 'owners-clear', role: 'backend', scope: 'workspace' }],
  ])('reads %j', (text, parsed) => {
    expect(parseCommandText(text)).toEqual(parsed);
  });

  it('keeps tasks that merely start with the word “owners” or “requests” as tasks', () => {
    for (const text of [
      'owners table needs a history of changes',
      'requests per second dashboard in Grafana',
    ]) {
      expect(parseCommandText(text)).toEqual({ kind: 'task', text });
    }
  });

  it.each([
    ['owners set security <@U1AAA|a> <@U2BBB|b>', 'One owner per role'],
    ['owners clear security <@U0SAM0001>', 'takes only a role'],
    ['owners set', 'Which role?'],
    ['owners show me', 'Owners commands'],
    ['owners set security <@U0SAM0001> --all', 'option `--all`'],
  ])('rejects %j', (text, message) => {
    const parsed = parseCommandText(text);
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') expect(parsed.message).toContain(message);
  });
});

describe('topicKey', () => {
  it('matches topics that differ only in case, spacing and punctuation', () => {
    expect(topicKey('PII Encryption — orders mart!')).toBe(topicKey('pii encryption: orders  mart'));
    expect(topicKey('PII encryption')).not.toBe(topicKey('PII access'));
  });
});
