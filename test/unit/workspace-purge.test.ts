import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { SqliteWorkspacePurge, teamScopedTables } from '../../src/store/workspace-purge.js';

describe('uninstall purge', () => {
  it('covers every table the migrations create with a team_id column', () => {
    const { sqlite, close } = openDatabase(':memory:');
    const tables = (
      sqlite.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]
    )
      .map((t) => t.name)
      .filter((name) =>
        (sqlite.prepare(`pragma table_info("${name}")`).all() as { name: string }[]).some(
          (c) => c.name === 'team_id',
        ),
      )
      .sort();
    close();
    expect(tables.length).toBeGreaterThan(20);
    expect(teamScopedTables()).toEqual(tables);
  });

  it("deletes one workspace's rows and leaves the other's", async () => {
    const { sqlite, close } = openDatabase(':memory:');
    for (const team of ['T0GONE', 'T0STAY']) {
      sqlite
        .prepare(
          "insert into channel_contexts (team_id, channel_id, text, set_by) values (?, 'C1', 'x', 'U1')",
        )
        .run(team);
      sqlite.prepare("insert into enterprise_workspaces (team_id, enterprise_id) values (?, 'E1')").run(team);
    }
    const deleted = await new SqliteWorkspacePurge(sqlite).purgeTeam('T0GONE');
    expect(deleted).toEqual({ channel_contexts: 1, enterprise_workspaces: 1 });
    expect(sqlite.prepare('select team_id from channel_contexts').all()).toEqual([{ team_id: 'T0STAY' }]);
    close();
  });
});
