import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * There is no Docker engine here, so compose.yaml's promises are read from its parsed text (anchors and
 * merge keys resolved as compose resolves them): PostgreSQL 15 with a volume and a pg_isready check,
 * three bots built from the Dockerfile on DATABASE_URL, each waiting for a healthy database and checked
 * on /healthz, a load balancer in front of all three, and no secret written in the file.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const text = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');

interface Service {
  image?: string;
  build?: string | { context: string };
  env_file?: string | string[];
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string | string[] };
  ports?: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
  stop_grace_period?: string;
}

const compose = parse(text, { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string }>;
};
const services = compose.services;
const bots = Object.entries(services).filter(([, s]) => s.build !== undefined);

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(
    env.map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)];
    }),
  );
}

const healthTest = (service: Service) => [service.healthcheck?.test ?? []].flat().join(' ');
/** A value that is only `${NAME…}` interpolations and fixed text without a secret in it. */
const fromEnvFile = (value: string) => /\$\{[A-Z_]+(:\?[^}]*)?\}/.test(value);

describe('compose.yaml', () => {
  it('runs PostgreSQL 15 with a named volume and a pg_isready health check', () => {
    const postgres = services.postgres;
    expect(postgres?.image).toMatch(/^postgres:15(\b|-)/);
    expect(healthTest(postgres ?? {})).toContain('pg_isready');
    const volume = (postgres?.volumes ?? []).find((v) => v.endsWith(':/var/lib/postgresql/data'));
    expect(volume, 'the data directory is a volume').toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume?.split(':')[0]);
  });

  it('runs three bots built from the Dockerfile, each on DATABASE_URL pointing at that PostgreSQL', () => {
    expect(bots.map(([name]) => name)).toHaveLength(3);
    for (const [name, bot] of bots) {
      const context = typeof bot.build === 'string' ? bot.build : bot.build?.context;
      expect(context, name).toBe('.');
      const url = environment(bot).DATABASE_URL ?? '';
      expect(url, name).toMatch(/^postgres(ql)?:\/\/[^@]+@postgres:5432\/\w+$/);
      expect(bot.depends_on?.postgres?.condition, name).toBe('service_healthy');
      expect(bot.stop_grace_period, name).toBe('45s');
    }
  });

  it("checks each bot's /healthz with node, as the Dockerfile's HEALTHCHECK does", () => {
    for (const [name, bot] of bots) {
      const test = healthTest(bot);
      expect(test, name).toMatch(/^CMD node -e /);
      expect(test, name).toContain('/healthz');
    }
  });

  it('puts one load balancer in front of all three bots, exposing one port', () => {
    const fronts = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0);
    expect(fronts.map(([name]) => name)).toEqual(['lb']);
    const lb = services.lb ?? {};
    expect(lb.image).toMatch(/^nginx:/);
    expect(lb.ports).toHaveLength(1);
    for (const [name] of bots) expect(lb.depends_on?.[name]?.condition, name).toBe('service_healthy');
    const config = compose.configs?.[lb.configs?.[0]?.source ?? '']?.content ?? '';
    expect(lb.configs?.[0]?.target).toBe('/etc/nginx/conf.d/default.conf');
    for (const [name] of bots) expect(config).toMatch(new RegExp(`server ${name}:3000\\b`));
    expect(config).toMatch(/proxy_pass http:\/\/bots;/);
    // A dead or draining instance's request goes to the next one.
    expect(config).toMatch(/proxy_next_upstream [^;]*\berror\b[^;]*\bhttp_503\b/);
    // Compose interpolates `$name`: nginx's own variables must be written `$$name`.
    expect(config.match(/(?<!\$)\$(?![${])\w+/g) ?? []).toEqual([]);
  });

  it('takes every secret from .env, never inline', () => {
    for (const [name, bot] of bots) expect([bot.env_file].flat(), name).toContain('.env');
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(environment(service))) {
        if (/PASSWORD|SECRET|TOKEN|KEY/.test(key)) {
          expect(fromEnvFile(String(value)), `${name}.${key}`).toBe(true);
        }
      }
      // A URL's password is an interpolation from .env too.
      const url = environment(service).DATABASE_URL;
      if (url) expect(/^postgres(ql)?:\/\/\w+:\$\{POSTGRES_PASSWORD[:?}]/.test(url), name).toBe(true);
    }
    // Nothing that looks like a real credential anywhere in the file.
    for (const pattern of [/xox[abp]-/, /xapp-/, /sk-ant-/, /postgres:\/\/\w+:[^$@]+@/]) {
      expect(text).not.toMatch(pattern);
    }
  });
});
