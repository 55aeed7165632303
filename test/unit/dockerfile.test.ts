import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The image cannot be built here (no Docker engine in CI or on the dev machines), so the Dockerfile's
 * promises are read from its text: the runtime stage runs as a fixed non-root user, has a health
 * check on /healthz, copies only paths that exist, and the build context never holds secrets or data.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** Instructions with their continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const all = instructions(dockerfile);
const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
const runtime = all.slice(lastFrom);

/** Whether a COPY source (a path, or a simple `*` pattern) names something in the repository. */
function sourceExists(source: string): boolean {
  if (!source.includes('*')) return existsSync(join(ROOT, source));
  const pattern = new RegExp(`^${source.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return readdirSync(ROOT).some((name) => pattern.test(name));
}

describe('Dockerfile', () => {
  it('builds on node:20-bookworm-slim in two stages, the compiler only in the build stage', () => {
    const froms = all.filter((i) => i.op === 'FROM').map((i) => i.args);
    expect(froms).toEqual(['node:20-bookworm-slim AS build', 'node:20-bookworm-slim AS runtime']);
    const runtimeRuns = runtime.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runtimeRuns.join('\n')).not.toMatch(
      /\b(g\+\+|gcc|make|python3|build-essential|npm ci|npm install)\b/,
    );
  });

  it('runs as a fixed non-root user in the runtime stage', () => {
    const users = runtime.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users).toHaveLength(1);
    const [user = ''] = (users[0] ?? '').split(':');
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
    // USER comes after every RUN of the stage: nothing later runs as root.
    const userAt = runtime.findIndex((i) => i.op === 'USER');
    expect(runtime.slice(userAt).some((i) => i.op === 'RUN')).toBe(false);
  });

  it('checks /healthz with node (no curl in the slim image), and starts node directly on SIGTERM-aware PID 1', () => {
    const health = runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    expect(health).toContain('/healthz');
    expect(health).toMatch(/CMD \["node", "-e"/);
    expect(runtime.find((i) => i.op === 'CMD')?.args).toBe('["node", "dist/main.js"]');
    expect(runtime.find((i) => i.op === 'STOPSIGNAL')?.args).toBe('SIGTERM');
    expect(runtime.find((i) => i.op === 'VOLUME')?.args).toContain('/data');
    expect(dockerfile).toMatch(/DATABASE_PATH=\/data\//);
  });

  it('copies only paths that exist in the repository', () => {
    const copies = all.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) expect(sourceExists(source), source).toBe(true);
    }
  });

  it('keeps secrets, data, dependencies and git out of the build context (.dockerignore)', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['.env', '.env.*', 'data/', '*.db', '*.db-wal', 'node_modules/', '.git/']) {
      expect(ignored, entry).toContain(entry);
    }
    // …and nothing the build needs is ignored.
    for (const needed of ['src', 'migrations', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      expect(ignored).not.toContain(needed);
    }
  });
});
