import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Each store's committed migrations already hold its schema: drizzle-kit, run on a copy of them,
 * finds nothing to generate. A column added to schema.ts without `npm run db:generate` (or to the
 * PostgreSQL schema without `npm run db:generate:postgres`) fails here, not on a deployment.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

const STORES = [
  { dialect: 'sqlite', schema: 'src/store/schema.ts', migrations: 'migrations', skip: ['postgres'] },
  {
    dialect: 'postgresql',
    schema: 'src/store/postgres/schema.ts',
    migrations: 'migrations/postgres',
    skip: [],
  },
];

describe('migrations match the schema', () => {
  it.each(STORES)(
    '$dialect: drizzle-kit has nothing left to generate',
    ({ dialect, schema, migrations, skip }) => {
      const dir = mkdtempSync(join(tmpdir(), 'deb-kit-'));
      try {
        const out = join(dir, 'migrations');
        cpSync(join(ROOT, migrations), out, {
          recursive: true,
          filter: (source) => !skip.some((name) => source === join(ROOT, migrations, name)),
        });
        const before = readdirSync(out).sort();
        const config = join(dir, 'drizzle.config.json');
        // drizzle-kit wants `out` relative to where it runs.
        writeFileSync(config, JSON.stringify({ dialect, schema: join(ROOT, schema), out: './migrations' }));
        const kit = join(ROOT, 'node_modules/.bin/drizzle-kit');
        const said = execFileSync(kit, ['generate', '--config', config, '--name', 'unexpected'], {
          cwd: dir,
          encoding: 'utf8',
          stdio: 'pipe',
        });
        // drizzle-kit exits 0 even when it fails, so its words are checked too.
        expect(said).toContain('No schema changes');
        expect(readdirSync(out).sort()).toEqual(before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
