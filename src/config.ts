import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import {
  type DeepReadonly,
  integer,
  meta,
  metaOf,
  optionalString,
  required,
  urlWithSlash,
  type VariableMeta,
  withDefault,
} from './config-fields.js';
import {
  type DataSourceConfig,
  parseDataSources,
  secretsOfSource,
  secretsOfUrl,
} from './core/data-sources/source-config.js';
import { isValidTimeZone } from './core/digest/schedule.js';
import { CHILD_RSS_HEADROOM_MB } from './core/sandbox/sandbox.js';
import { parseTokenKey } from './security/token-key.js';

/**
 * The operator contract (see README "Configuration"): every setting comes from the environment, is
 * validated here once, and the rest of the code only ever sees the typed, frozen `Config`.
 */

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every environment variable the bot reads: its name, validation, default and README wording. */
const variables = {
  // Required unless the OAuth install is configured: checked across variables below.
  SLACK_BOT_TOKEN: optionalString
    .refine((v) => v === undefined || v.startsWith('xoxb-'), {
      message: 'must be a bot token starting with xoxb- ("OAuth & Permissions" page of your Slack app)',
    })
    .meta(meta({ secret: true, readmeDefault: 'required unless OAuth install' })),
  // The OAuth v2 install (several workspaces): all four or none, checked below.
  SLACK_CLIENT_ID: optionalString.meta(meta({ readmeDefault: 'unset = one workspace' })),
  SLACK_CLIENT_SECRET: optionalString.meta(meta({ secret: true, readmeDefault: 'unset = one workspace' })),
  SLACK_STATE_SECRET: optionalString
    .refine((v) => v === undefined || v.length >= 16, {
      message: 'must be at least 16 characters (a random secret that signs the install state)',
    })
    .meta(meta({ secret: true, readmeDefault: 'unset = one workspace' })),
  TOKEN_ENCRYPTION_KEY: optionalString
    .refine((v) => v === undefined || parseTokenKey(v) !== undefined, {
      message:
        'must be 32 random bytes, base64 (44 characters) or hex (64 characters): e.g. `openssl rand -base64 32`',
    })
    .meta(meta({ secret: true, readmeDefault: 'unset = one workspace' })),
  TOKEN_ENCRYPTION_KEY_PREVIOUS: optionalString
    .refine((v) => v === undefined || parseTokenKey(v) !== undefined, {
      message: 'must be 32 bytes, base64 or hex, like TOKEN_ENCRYPTION_KEY (the key being rotated out)',
    })
    .meta(meta({ secret: true, readmeDefault: 'unset' })),
  SLACK_INSTALL_REDIRECT_URI: optionalString
    .refine((v) => v === undefined || /^https?:\/\/\S+\/slack\/oauth_redirect$/.test(v), {
      message:
        'must be the public URL of /slack/oauth_redirect, e.g. https://bot.example.com/slack/oauth_redirect',
    })
    .meta(meta({ readmeDefault: "unset = the app's configured redirect URL" })),
  // Required unless Socket Mode: checked across variables below.
  SLACK_SIGNING_SECRET: optionalString.meta(
    meta({ secret: true, readmeDefault: 'required unless Socket Mode' }),
  ),
  SLACK_APP_TOKEN: optionalString
    .refine((v) => v === undefined || v.startsWith('xapp-'), {
      message:
        'must be an app-level token starting with xapp- ("Basic Information" → App-Level Tokens), or unset for HTTP mode',
    })
    .meta(meta({ secret: true, readmeDefault: 'unset = HTTP mode' })),
  SLACK_API_URL: urlWithSlash('https://slack.com/api/'),
  ANTHROPIC_API_KEY: required('create a key in the Claude Console (API keys) and paste it here').meta(
    meta({ secret: true }),
  ),
  ANTHROPIC_BASE_URL: optionalString
    .refine((v) => v === undefined || /^https?:\/\/\S+$/.test(v), {
      message: 'must be an http(s) URL without /v1, e.g. https://api.anthropic.com',
    })
    .meta(meta({ readmeDefault: "the SDK's default" })),
  ANTHROPIC_MODEL: withDefault('claude-sonnet-5-5'),
  ANTHROPIC_SMALL_MODEL: withDefault('claude-haiku-5-5'),
  ANTHROPIC_MAX_TOKENS: integer(16_000, 1_024, 128_000, 'the longest answer the model may write, in tokens'),
  DATABASE_PATH: withDefault('./data/data-engineer.db'),
  // Secret: the URL usually carries the password (redacted from logs like the tokens).
  DATABASE_URL: optionalString
    .refine((v) => v === undefined || /^postgres(ql)?:\/\/\S+$/.test(v), {
      message:
        'must be a PostgreSQL URL, e.g. postgres://bot:password@db.internal:5432/data_engineer_bot, or unset for SQLite (DATABASE_PATH)',
    })
    .meta(meta({ secret: true, readmeDefault: 'unset = SQLite' })),
  DATABASE_POOL_SIZE: integer(
    10,
    2,
    200,
    'connections one instance may hold to DATABASE_URL (every instance shares max_connections)',
  ),
  PORT: integer(3000, 0, 65_535, 'the HTTP port to listen on'),
  HOST: withDefault('0.0.0.0'),
  DIGEST_TIME: withDefault('09:00').refine((v) => /^([01]\d|2[0-3]):[0-5]\d$/.test(v), {
    message: 'must be a 24-hour time HH:MM, e.g. 09:00',
  }),
  DIGEST_TIMEZONE: optionalString
    .refine((v) => v === undefined || isValidTimeZone(v), {
      message: 'must be an IANA time zone such as Europe/Berlin or America/New_York',
    })
    .meta(meta({ readmeDefault: 'workspace zone or `UTC`' })),
  DIGEST_POST_EMPTY: withDefault('false')
    .refine((v) => /^(true|false)$/i.test(v), { message: 'must be true or false' })
    .transform((v) => v.toLowerCase() === 'true'),
  BOT_ADMINS: withDefault('')
    .transform((v) =>
      v
        .split(/[\s,]+/)
        .map((id) => id.trim())
        .filter(Boolean),
    )
    .refine((ids) => ids.every((id) => /^[UW][A-Z0-9]{2,}$/.test(id)), {
      message:
        'must be a comma-separated list of Slack user IDs like U012AB3CD (profile → ⋯ → Copy member ID)',
    })
    .meta(meta({ readmeDefault: 'empty' })),
  LOG_LEVEL: withDefault('info').pipe(
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  ),
  MAX_CONCURRENT_GENERATIONS: integer(4, 1, 64, 'how many model calls may run at once'),
  MAX_CONTEXT_TOKENS: integer(100_000, 4_000, 1_000_000, 'most input tokens one model request may carry'),
  ANTHROPIC_RETRY_DEADLINE_SECONDS: integer(
    600,
    0,
    86_400,
    'how long to keep retrying Claude before a task fails',
  ),
  ANTHROPIC_IDLE_TIMEOUT_SECONDS: integer(
    90,
    5,
    3_600,
    'how long a Claude stream may send nothing before it is retried',
  ),
  JOB_LEASE_SECONDS: integer(
    60,
    1,
    3_600,
    'how long a stopped process keeps its queued work before another takes it',
  ),
  USER_TASKS_PER_HOUR: integer(
    20,
    0,
    100_000,
    'new tasks and follow-ups one person may send in an hour; 0 for no limit',
  ),
  DAILY_TOKEN_BUDGET: optionalString
    .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) > 0), {
      message:
        'must be a whole number of tokens above 0 (Claude tokens a workspace may use per UTC day), or unset for no limit',
    })
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .meta(meta({ readmeDefault: 'unset = no limit' })),
  RETENTION_DAYS: integer(90, 1, 3_650, 'how many days stored conversations and deliveries are kept'),
  SANDBOX_ENABLED: withDefault('true')
    .refine((v) => /^(true|false)$/i.test(v), { message: 'must be true or false' })
    .transform((v) => v.toLowerCase() === 'true'),
  SANDBOX_MEMORY_MB: integer(256, 32, 8_192, "the SQL sandbox database's memory limit, in MB"),
  SANDBOX_STATEMENT_TIMEOUT_SECONDS: integer(
    5,
    1,
    300,
    'a sandbox SQL statement still running after this is interrupted',
  ),
  SANDBOX_CALLS_PER_ANSWER: integer(25, 1, 1_000, 'run_sql calls one answer may make'),
  SANDBOX_SECONDS_PER_ANSWER: integer(45, 1, 3_600, 'total sandbox SQL time one answer may use'),
  SANDBOX_MAX_ROWS: integer(30, 1, 1_000, 'rows of one query result sent back to the model'),
  SANDBOX_MAX_RESULT_CHARS: integer(
    6_000,
    200,
    200_000,
    'characters of result data one run_sql call sends back to the model',
  ),
  DATA_TOOL_CALLS_PER_ANSWER: integer(
    30,
    1,
    1_000,
    'data tool calls (list, describe, sample, profile, explain, query) one answer may make',
  ),
  // A JSON list of read-only sources; its URLs hold passwords, so the whole value is secret.
  DATA_SOURCES: optionalString
    .transform((v, ctx): DataSourceConfig[] | undefined => {
      if (v === undefined) return undefined;
      const parsed = parseDataSources(v);
      if (parsed.ok) return parsed.sources;
      for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    })
    .meta(meta({ secret: true, readmeDefault: 'unset = no data sources' })),
  DATA_SOURCES_FILE: optionalString
    .transform((v, ctx): DataSourceConfig[] | undefined => {
      if (v === undefined) return undefined;
      let text: string;
      try {
        text = readFileSync(v, 'utf8');
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'unreadable';
        ctx.addIssue({
          code: 'custom',
          message: `cannot be read (${code}): give the path of a YAML or JSON file`,
        });
        return z.NEVER;
      }
      const parsed = parseDataSources(text, (t) => loadYaml().parse(t));
      if (parsed.ok) return parsed.sources;
      for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    })
    .meta(meta({ readmeDefault: 'unset' })),
  DATA_TOOL_RESULT_TOKENS: integer(
    2_000,
    200,
    50_000,
    'tokens (about 4 characters each) of one data tool result sent to the model',
  ),
  FILES_MAX_MB: integer(50, 1, 1_024, 'largest file shared in a thread that the bot reads, in MB'),
  FILES_PER_TASK: integer(5, 0, 50, 'files one task reads (the thread’s first ones); 0 reads none'),
  FILES_TOTAL_MB: integer(100, 1, 4_096, 'bytes of all the files one task reads together, in MB'),
  // Metrics are off unless a port is given; they never share the public listener (PORT).
  METRICS_PORT: optionalString
    .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) <= 65_535), {
      message:
        'must be a port number from 0 to 65535 (the Prometheus /metrics listener), or unset for no metrics',
    })
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .meta(meta({ readmeDefault: 'unset = no metrics' })),
  METRICS_HOST: withDefault('127.0.0.1'),
  METRICS_TOKEN: optionalString
    .refine((v) => v === undefined || v.length >= 16, {
      message: 'must be at least 16 characters (e.g. `openssl rand -hex 32`), or unset',
    })
    .meta(meta({ secret: true, readmeDefault: 'unset = no token' })),
};

type VariableName = keyof typeof variables;

/** The OAuth install is on when all four are set (and off when none is). */
const OAUTH_VARIABLES = [
  'SLACK_CLIENT_ID',
  'SLACK_CLIENT_SECRET',
  'SLACK_STATE_SECRET',
  'TOKEN_ENCRYPTION_KEY',
] as const satisfies readonly VariableName[];

function oauthSettings(e: {
  SLACK_CLIENT_ID: string | undefined;
  SLACK_CLIENT_SECRET: string | undefined;
  SLACK_STATE_SECRET: string | undefined;
  TOKEN_ENCRYPTION_KEY: string | undefined;
  TOKEN_ENCRYPTION_KEY_PREVIOUS: string | undefined;
  SLACK_INSTALL_REDIRECT_URI: string | undefined;
}) {
  if (!e.SLACK_CLIENT_ID || !e.SLACK_CLIENT_SECRET || !e.SLACK_STATE_SECRET || !e.TOKEN_ENCRYPTION_KEY)
    return undefined;
  return {
    clientId: e.SLACK_CLIENT_ID,
    clientSecret: e.SLACK_CLIENT_SECRET,
    stateSecret: e.SLACK_STATE_SECRET,
    /** Bot tokens are encrypted at rest under this key; the previous one only decrypts (rotation). */
    tokenKey: e.TOKEN_ENCRYPTION_KEY,
    previousTokenKey: e.TOKEN_ENCRYPTION_KEY_PREVIOUS,
    redirectUri: e.SLACK_INSTALL_REDIRECT_URI,
  };
}

/** The environment, validated, and shaped into the `Config` the rest of the code sees. */
const configSchema = z
  .object(variables)
  .superRefine((env, ctx) => {
    if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message:
          'is not set: copy the Signing Secret from your app\'s "Basic Information" page (or set SLACK_APP_TOKEN for Socket Mode)',
      });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_PORT'],
        message: 'is the same as PORT: the metrics need a port of their own, not the public one',
      });
    }
    const oauth = OAUTH_VARIABLES.filter((name) => env[name] !== undefined);
    if (oauth.length > 0 && oauth.length < OAUTH_VARIABLES.length) {
      for (const name of OAUTH_VARIABLES.filter((n) => env[n] === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is not set: the OAuth install needs ${OAUTH_VARIABLES.join(', ')} together (${oauth.join(', ')} set)`,
        });
      }
    }
    if (oauth.length === 0 && !env.SLACK_BOT_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_BOT_TOKEN'],
        message:
          'is not set: copy the Bot User OAuth Token (xoxb-…) from your app\'s "OAuth & Permissions" page (or configure the OAuth install: SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET, TOKEN_ENCRYPTION_KEY)',
      });
    }
    if (env.TOKEN_ENCRYPTION_KEY_PREVIOUS && !env.TOKEN_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['TOKEN_ENCRYPTION_KEY_PREVIOUS'],
        message: 'is set without TOKEN_ENCRYPTION_KEY: it only decrypts tokens while rotating to a new key',
      });
    }
    if (env.DATA_SOURCES && env.DATA_SOURCES_FILE) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATA_SOURCES_FILE'],
        message: 'is set together with DATA_SOURCES: set one of them',
      });
    }
  })
  .transform((e) => ({
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      /** Several workspaces through the OAuth v2 install; undefined = one workspace (SLACK_BOT_TOKEN). */
      oauth: oauthSettings(e),
    },
    anthropic: {
      apiKey: e.ANTHROPIC_API_KEY,
      baseUrl: e.ANTHROPIC_BASE_URL,
      model: e.ANTHROPIC_MODEL,
      smallModel: e.ANTHROPIC_SMALL_MODEL,
      maxTokens: e.ANTHROPIC_MAX_TOKENS,
      /** Our own retries of a failing Claude call stop after this long; the task then fails. */
      retryDeadlineMs: e.ANTHROPIC_RETRY_DEADLINE_SECONDS * 1000,
      /** A Claude stream silent for this long is aborted and retried. */
      idleTimeoutMs: e.ANTHROPIC_IDLE_TIMEOUT_SECONDS * 1000,
    },
    /** PostgreSQL when DATABASE_URL is set (several instances may share it); SQLite otherwise. */
    database: e.DATABASE_URL
      ? { engine: 'postgres' as const, url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : { engine: 'sqlite' as const, path: e.DATABASE_PATH },
    http: { port: e.PORT, host: e.HOST },
    digest: {
      time: e.DIGEST_TIME,
      timeZone: e.DIGEST_TIMEZONE,
      /** Post a scheduled digest even when a channel had nothing to report. */
      postWhenEmpty: e.DIGEST_POST_EMPTY,
    },
    botAdmins: e.BOT_ADMINS,
    logLevel: e.LOG_LEVEL,
    maxConcurrentGenerations: e.MAX_CONCURRENT_GENERATIONS,
    maxContextTokens: e.MAX_CONTEXT_TOKENS,
    /** A job whose process stopped renewing it for this long is run again by another (JOB_LEASE_SECONDS). */
    jobLeaseMs: e.JOB_LEASE_SECONDS * 1000,
    limits: {
      /** New tasks plus follow-ups one person may send per rolling hour; 0 = no limit (USER_TASKS_PER_HOUR). */
      userTasksPerHour: e.USER_TASKS_PER_HOUR,
      /** Claude tokens a workspace may use per UTC day; undefined = no limit (DAILY_TOKEN_BUDGET). */
      dailyTokenBudget: e.DAILY_TOKEN_BUDGET,
    },
    /** Conversations idle and deliveries recorded longer ago than this are deleted, daily (RETENTION_DAYS). */
    retentionDays: e.RETENTION_DAYS,
    /** The SQL sandbox of `run_sql` and the block checks (SANDBOX_*); undefined when turned off. */
    sandbox: e.SANDBOX_ENABLED
      ? {
          memoryLimit: `${e.SANDBOX_MEMORY_MB}MB`,
          maxChildRssMb: e.SANDBOX_MEMORY_MB + CHILD_RSS_HEADROOM_MB,
          statementTimeoutMs: e.SANDBOX_STATEMENT_TIMEOUT_SECONDS * 1000,
          maxCallsPerSession: e.SANDBOX_CALLS_PER_ANSWER,
          sessionBudgetMs: e.SANDBOX_SECONDS_PER_ANSWER * 1000,
          maxRows: e.SANDBOX_MAX_ROWS,
          maxResultChars: e.SANDBOX_MAX_RESULT_CHARS,
        }
      : undefined,
    /** Data tool calls one answer may make; more are refused and audited (DATA_TOOL_CALLS_PER_ANSWER). */
    dataToolCallsPerAnswer: e.DATA_TOOL_CALLS_PER_ANSWER,
    /** Read-only data sources for the data tools (DATA_SOURCES or DATA_SOURCES_FILE); empty when none. */
    dataSources: e.DATA_SOURCES ?? e.DATA_SOURCES_FILE ?? [],
    dataTools: {
      /** Characters (≈4 per token) one formatted data tool result may take (DATA_TOOL_RESULT_TOKENS). */
      resultChars: e.DATA_TOOL_RESULT_TOKENS * 4,
    },
    /** The values of the variables marked secret, and every data source's URL, password and paths, for the log redactor. */
    secrets: [
      ...SECRET_VARIABLES.map((name) => e[name]).filter((v): v is string => typeof v === 'string'),
      ...[...(e.DATA_SOURCES ?? []), ...(e.DATA_SOURCES_FILE ?? [])].flatMap(secretsOfSource),
      // The store's URL as a whole is secret above; its password alone is too (a driver may quote it).
      ...(e.DATABASE_URL ? secretsOfUrl(e.DATABASE_URL) : []),
    ],
    /** The Prometheus listener (METRICS_*); undefined when METRICS_PORT is unset (no metrics, prom-client not loaded). */
    metrics:
      e.METRICS_PORT === undefined
        ? undefined
        : { port: e.METRICS_PORT, host: e.METRICS_HOST, token: e.METRICS_TOKEN },
    /** Files shared in task threads (FILES_*): what one file and one task may bring into the sandbox. */
    files: {
      maxFileBytes: e.FILES_MAX_MB * 1024 * 1024,
      maxFilesPerTask: e.FILES_PER_TASK,
      maxTotalBytes: e.FILES_TOTAL_MB * 1024 * 1024,
    },
  }));

/** The typed, validated settings: the schema's output. */
export type Config = DeepReadonly<z.output<typeof configSchema>>;

/** What `variables` declares about one environment variable, for the README check and redaction. */
export type ConfigVariable = VariableMeta & { name: VariableName };

/** Every variable, in the schema's order, with its default, README wording and whether it is secret. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.entries(variables).map(([name, schema]) => {
  const { default: fallback, readmeDefault, secret } = metaOf(schema);
  return { name: name as VariableName, default: fallback, readmeDefault, secret };
});

const SECRET_VARIABLES = CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name);

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Parses the environment; never throws. Every problem is reported at once so an operator fixes them in one go. */
export function parseConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`,
    );
    return { ok: false, problems: [...new Set(problems)] };
  }
  return { ok: true, config: Object.freeze(parsed.data) };
}

export function formatConfigProblems(problems: readonly string[]): string {
  return [
    'data-engineer-bot cannot start: the configuration has problems.',
    ...problems.map((p) => `  - ${p}`),
    'Set these in .env (see .env.example) or in the environment, then start again.',
  ].join('\n');
}

/**
 * The YAML parser, loaded only when DATA_SOURCES_FILE is set (~8 MB resident otherwise spent by every
 * bot at start-up). Config is read synchronously, hence require rather than import().
 */
function loadYaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}
