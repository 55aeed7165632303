import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering the README promises, checked on the import graph of src/: the core imports no SDK,
 * render/ is pure text (no store, no Slack), and only src/slack/ knows Bolt.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

interface Edge {
  /** Importing file, relative to the repository (`src/core/x.ts`). */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** A relative specifier resolved to a file relative to the repository; else the package name. */
  target: string;
  typeOnly: boolean;
}

/** Comments removed (a `//` inside a string such as a URL is kept: it follows no whitespace). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

/** `import … from`, `export … from`, `import 'x'` and `import('x')` specifiers of one source text. */
function importsOf(source: string): { specifier: string; typeOnly: boolean }[] {
  const text = withoutComments(source);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const patterns = [
    /\b(import|export)\s+(type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\b(import)\s*()['"]([^'"]+)['"]/g,
    /\b(import)\s*\(\s*()['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      found.push({ specifier: match[3] ?? '', typeOnly: Boolean(match[2]) });
    }
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importGraph(): Edge[] {
  return sourceFiles(SRC).flatMap((file) =>
    importsOf(readFileSync(file, 'utf8')).map(({ specifier, typeOnly }) => ({
      from: relative(ROOT, file),
      specifier,
      typeOnly,
      target: specifier.startsWith('.')
        ? relative(ROOT, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts')
        : specifier,
    })),
  );
}

interface Rule {
  name: string;
  applies(from: string): boolean;
  forbidden(target: string): boolean;
}

const SDK = /^(@slack\/|@anthropic-ai\/|drizzle-orm(\/|$)|better-sqlite3$)/;
const RULES: Rule[] = [
  {
    name: 'src/core/ imports no SDK (@slack/*, @anthropic-ai/*, drizzle-orm, better-sqlite3)',
    applies: (from) => from.startsWith('src/core/'),
    forbidden: (target) => SDK.test(target),
  },
  {
    name: 'src/render/ imports neither the store nor Slack',
    applies: (from) => from.startsWith('src/render/'),
    forbidden: (target) => /^(src\/store\/|src\/slack\/|@slack\/)/.test(target),
  },
  {
    // Loaded lazily there, only with METRICS_PORT set (its import costs resident memory at start-up).
    name: 'only src/metrics/ imports prom-client (the core reports through its Metrics port)',
    applies: (from) => !from.startsWith('src/metrics/'),
    forbidden: (target) => target === 'prom-client' || target.startsWith('prom-client/'),
  },
  {
    name: 'only src/slack/ imports @slack/bolt',
    applies: (from) => !from.startsWith('src/slack/'),
    forbidden: (target) => target === '@slack/bolt' || target.startsWith('@slack/bolt/'),
  },
];

function violations(edges: Edge[]): string[] {
  return RULES.flatMap((rule) =>
    edges
      .filter((edge) => rule.applies(edge.from) && rule.forbidden(edge.target))
      .map((edge) => `${rule.name}: ${edge.from} imports ${edge.specifier}`),
  );
}

/** Import cycles between files (type-only imports included), as lists of files. */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    if (!edge.target.startsWith('src/')) continue;
    next.set(edge.from, [...(next.get(edge.from) ?? []), edge.target]);
  }
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    state.set(file, 'open');
    for (const target of next.get(file) ?? []) {
      if (state.get(target) === 'open') found.push([...path.slice(path.indexOf(target)), target]);
      else if (!state.has(target)) visit(target, [...path, target]);
    }
    state.set(file, 'done');
  };
  for (const file of next.keys()) if (!state.has(file)) visit(file, [file]);
  return found;
}

describe('architecture', () => {
  const edges = importGraph();

  it('reads the import graph of src/ (static, re-exports, side effects and dynamic imports)', () => {
    expect(new Set(edges.map((e) => e.from)).size).toBeGreaterThan(50);
    expect(edges).toContainEqual(
      expect.objectContaining({ from: 'src/main.ts', target: 'src/app.ts', typeOnly: false }),
    );
    const parsed = importsOf(
      [
        "import type { A } from '@slack/types';",
        "import {\n  B,\n  C,\n} from 'drizzle-orm';",
        "export { D } from '../store/db.js';",
        "import 'better-sqlite3';",
        "const m = await import('@anthropic-ai/sdk');",
        "// import { E } from '@slack/bolt';",
        "/* import { F } from '@slack/bolt'; */",
        "const url = 'https://example.com/x'; import { G } from './g.js';",
      ].join('\n'),
    );
    expect(parsed).toEqual([
      { specifier: '@slack/types', typeOnly: true },
      { specifier: 'drizzle-orm', typeOnly: false },
      { specifier: '../store/db.js', typeOnly: false },
      { specifier: './g.js', typeOnly: false },
      { specifier: 'better-sqlite3', typeOnly: false },
      { specifier: '@anthropic-ai/sdk', typeOnly: false },
    ]);
  });

  it('flags each kind of forbidden import', () => {
    const edge = (from: string, target: string): Edge => ({
      from,
      specifier: target,
      target,
      typeOnly: false,
    });
    expect(
      violations([
        edge('src/core/x.ts', '@slack/web-api'),
        edge('src/core/digest/x.ts', 'drizzle-orm/sqlite-core'),
        edge('src/core/x.ts', 'better-sqlite3'),
        edge('src/core/x.ts', '@anthropic-ai/sdk/resources/messages/messages'),
        edge('src/render/x.ts', 'src/store/schema.ts'),
        edge('src/render/x.ts', 'src/slack/slack-gateway.ts'),
        edge('src/app.ts', '@slack/bolt'),
        edge('src/slack/bolt-app.ts', '@slack/bolt'),
        edge('src/core/x.ts', 'zod'),
        edge('src/render/x.ts', 'src/core/model.ts'),
        edge('src/core/x.ts', 'prom-client'),
        edge('src/agent/x.ts', 'prom-client'),
        edge('src/metrics/prom-metrics.ts', 'prom-client'),
      ]),
    ).toHaveLength(9);
  });

  it('holds for src/', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('lets src/render/ take only types, the domain model and pricing from src/core/ (core uses render, not back)', () => {
    const valueImports = edges.filter(
      (e) =>
        e.from.startsWith('src/render/') &&
        e.target.startsWith('src/core/') &&
        !e.typeOnly &&
        !['src/core/domain.ts', 'src/core/pricing.ts'].includes(e.target),
    );
    expect(valueImports.map((e) => `${e.from} imports ${e.specifier}`)).toEqual([]);
  });

  it('has no import cycle between src/render/ and src/core/', () => {
    const crossing = cycles(edges).filter(
      (cycle) =>
        cycle.some((f) => f.startsWith('src/render/')) && cycle.some((f) => f.startsWith('src/core/')),
    );
    expect(crossing).toEqual([]);
  });
});
