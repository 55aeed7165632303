import { describe, expect, it } from 'vitest';
import { SUB_COMMANDS } from '../../src/core/command-registry.js';
import { HELP_TEXT, parseCommandText, routeCommand } from '../../src/core/parse-command.js';
import { usageText } from '../../src/core/sub-command.js';

describe('the sub-command table', () => {
  it('has one entry per name, each routed by its first word in any case', () => {
    const names = SUB_COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([
      'owners',
      'requests',
      'digest',
      'usage',
      'designs',
      'checks',
      'sources',
      'context',
      'audit',
    ]);
    for (const name of names) {
      const route = routeCommand(`  ${name.toUpperCase()} `);
      expect(route.kind).toBe('sub-command');
      if (route.kind === 'sub-command') expect(route.command.name).toBe(name);
    }
  });

  it('lists every usage line of every registered command in the help', () => {
    for (const command of SUB_COMMANDS) {
      for (const line of command.usage) expect(HELP_TEXT).toContain(`• ${line}`);
    }
    expect(HELP_TEXT).toContain('/data-engineer design a pipeline');
  });

  it('generates the usage text a mistyped command gets from the table', () => {
    expect(usageText(SUB_COMMANDS[0])).toBe(
      [
        'Owners commands:',
        '• `/data-engineer owners` shows who owns backend, devops, security and QA requests here',
        '• `/data-engineer owners set <role> @person-or-group [--channel]` sets an owner (for the workspace, or with `--channel` for this channel only)',
        '• `/data-engineer owners clear <role> [--channel]` removes one',
        'Roles: `backend`, `devops`, `security`, `qa`.',
      ].join('\n'),
    );
    const digest = parseCommandText('digest now please');
    expect(digest.kind).toBe('invalid');
    expect(digest.message).toContain('Digest commands:\n• `/data-engineer digest` shows when');
  });

  it('keeps a task that merely starts with a command name a task', () => {
    for (const text of [
      'usage dashboards for finance',
      'digest of kafka topics into s3',
      'help me design a mart',
    ]) {
      expect(parseCommandText(text)).toEqual({ kind: 'task', text });
    }
    expect(parseCommandText('usage')).toEqual({ kind: 'usage' });
  });
});
