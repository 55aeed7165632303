import { z } from 'zod';

/**
 * Why this file exists: what an operator writes in DATA_SOURCES (or the DATA_SOURCES_FILE), validated
 * once at start-up. Messages name the entry and the field, never a value: a URL holds a password.
 */

const NAME = /^[a-z][a-z0-9_-]{0,39}$/;
const VIEW = /^[a-z_][a-z0-9_]{0,62}$/;

const name = z
  .string()
  .regex(NAME, { error: 'must be a lowercase slug (a-z, 0-9, _ or -, up to 40 characters)' });
const timeout = z
  .number({ error: 'must be a number of milliseconds' })
  .int()
  .min(100, { error: 'must be at least 100 ms' })
  .max(600_000, { error: 'must be at most 600000 ms' })
  .default(10_000);
const maxRows = z.number().int().min(1).max(10_000).default(200);

const postgres = z.strictObject({
  name,
  kind: z.literal('postgres'),
  url: z
    .string({ error: 'is required: a postgres:// connection URL' })
    .refine((v) => /^postgres(ql)?:\/\/\S+$/.test(v), {
      error: 'must be a postgres:// or postgresql:// URL',
    }),
  allowAnalyze: z.boolean({ error: 'must be true or false' }).default(false),
  statementTimeoutMs: timeout,
  maxRows,
  /** Connections kept open to the source at most. */
  maxConnections: z.number().int().min(1).max(10).default(2),
});

const duckdb = z.strictObject({
  name,
  kind: z.literal('duckdb'),
  paths: z
    .record(
      z.string().regex(VIEW, { error: 'view names must be lowercase SQL identifiers (a-z, 0-9, _)' }),
      z.string().refine((p) => p.startsWith('/') && !p.includes('\0') && !/['"]/.test(p), {
        error: 'must be an absolute file path or glob without quotes',
      }),
    )
    .refine((paths) => Object.keys(paths).length > 0, { error: 'must name at least one file or glob' }),
  allowAnalyze: z.boolean({ error: 'must be true or false' }).default(false),
  statementTimeoutMs: timeout,
  maxRows,
  /** DuckDB's memory_limit for this source's process. */
  memoryLimitMb: z.number().int().min(32).max(65_536).default(256),
});

export const dataSourceConfigSchema = z.discriminatedUnion('kind', [postgres, duckdb], {
  error: 'kind must be "postgres" or "duckdb"',
});

export const dataSourcesSchema = z.array(dataSourceConfigSchema).superRefine((sources, ctx) => {
  const seen = new Set<string>();
  sources.forEach((source, i) => {
    if (seen.has(source.name)) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `"${source.name}" is used twice: names must be unique`,
      });
    }
    seen.add(source.name);
  });
});

export type DataSourceConfig = z.output<typeof dataSourceConfigSchema>;
export type PostgresSourceConfig = Extract<DataSourceConfig, { kind: 'postgres' }>;
export type DuckDbSourceConfig = Extract<DataSourceConfig, { kind: 'duckdb' }>;

/** The strings of a source that must never be shown or logged: its URL (and password) or its paths. */
export function secretsOfSource(source: DataSourceConfig): string[] {
  if (source.kind === 'duckdb') return Object.values(source.paths);
  return secretsOfUrl(source.url);
}

/** A database URL and its password (as written and decoded): never shown or logged. */
export function secretsOfUrl(url: string): string[] {
  const found = [url];
  try {
    const password = new URL(url).password;
    if (password) found.push(password, decodeURIComponent(password));
  } catch {
    // The schema only checked the prefix; the URL stays secret as a whole.
  }
  return found;
}

export type ParsedSources = { ok: true; sources: DataSourceConfig[] } | { ok: false; problems: string[] };

/**
 * Parses DATA_SOURCES text (JSON; from a file also YAML, through `parseText`). Problems name the entry
 * and field only: neither JSON.parse's message (it quotes the input) nor zod's received values appear.
 */
export function parseDataSources(
  text: string,
  parseText: (t: string) => unknown = JSON.parse,
): ParsedSources {
  let raw: unknown;
  try {
    raw = parseText(text);
  } catch {
    return {
      ok: false,
      problems: [
        'is not valid JSON (a list like [{"name": "warehouse", "kind": "postgres", "url": "postgres://…"}])',
      ],
    };
  }
  const parsed = dataSourcesSchema.safeParse(raw);
  if (parsed.success) return { ok: true, sources: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? `entry ${issue.path.map(String).join('.')}` : 'the list';
      const message =
        issue.code === 'invalid_type' && issue.path.length === 0
          ? 'must be a JSON list of sources'
          : issue.message;
      return `${where}: ${message}`;
    }),
  };
}
