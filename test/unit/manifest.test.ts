import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ASSISTANT_PROMPTS } from '../../src/core/assistant/assistant-threads.js';
import { BOT_SCOPES } from '../../src/slack/bot-scopes.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the whole
// `module.exports`, so take `.default` when present (it is, at runtime and in the types).
const addFormats = addFormatsModule.default ?? addFormatsModule;

const fixtures = new URL('../fixtures/slack-manifest-schema/', import.meta.url);
const readText = (url: URL) => readFileSync(fileURLToPath(url), 'utf8');
const readJson = (name: string): unknown => JSON.parse(readText(new URL(name, fixtures)));

interface SlashCommand {
  command: string;
  url?: string;
  description?: string;
  usage_hint?: string;
  should_escape?: boolean;
}

interface Manifest {
  features: {
    slash_commands: SlashCommand[];
    assistant_view?: {
      assistant_description: string;
      suggested_prompts?: { title: string; message: string }[];
    };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url?: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled?: boolean;
  };
}

const manifestText = readText(new URL('../../manifest.yml', import.meta.url));
const manifest = parse(manifestText) as Manifest;
const socketManifest = parse(
  readText(new URL('../../manifest.socket-mode.yml', import.meta.url)),
) as Manifest;

// The schema uses non-standard keywords (`_note`, `regex`, `requires`), which Ajv's strict mode rejects.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(readJson('manifest.schema.1.0.0.json') as object);

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n');
}

/** Scope each subscribed bot event needs (app_home_opened, app_uninstalled and tokens_revoked need none). */
const SCOPELESS_EVENTS = new Set(['app_home_opened', 'app_uninstalled', 'tokens_revoked']);
const EVENT_SCOPES: Record<string, string> = {
  app_mention: 'app_mentions:read',
  assistant_thread_started: 'assistant:write',
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  'message.im': 'im:history',
  'message.mpim': 'mpim:history',
};

describe('vendored Slack manifest schema', () => {
  it('accepts the upstream valid example', () => {
    const ok = validate(readJson('manifest.valid.example.json'));
    expect(ok, formatErrors(validate.errors)).toBe(true);
  });

  it('rejects the upstream invalid example (an unknown settings key)', () => {
    expect(validate(readJson('manifest.invalid.example.json'))).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        instancePath: '/settings',
        keyword: 'additionalProperties',
        params: { additionalProperty: 'bad_param' },
      }),
    );
  });

  it('rejects a slash command without a description', () => {
    const broken = structuredClone(manifest);
    delete broken.features.slash_commands[0]?.description;
    expect(validate(broken)).toBe(false);
  });
});

describe('manifest.yml', () => {
  it('is valid against the official v1 manifest schema', () => {
    const ok = validate(manifest);
    expect(ok, `manifest.yml is invalid:\n${formatErrors(validate.errors)}`).toBe(true);
  });

  it('declares /data-engineer with escaping, a description and a usage hint', () => {
    const command = manifest.features.slash_commands.find((c) => c.command === '/data-engineer');
    expect(command).toBeDefined();
    expect(command?.should_escape).toBe(true);
    expect(command?.description?.trim()).toBeTruthy();
    expect(command?.usage_hint?.trim()).toBeTruthy();
  });

  it('has the scope for every subscribed bot event', () => {
    const scopes = manifest.oauth_config.scopes.bot;
    for (const event of manifest.settings.event_subscriptions.bot_events) {
      const needed = EVENT_SCOPES[event];
      if (!SCOPELESS_EVENTS.has(event)) expect(needed, `no known scope for event ${event}`).toBeDefined();
      if (needed) expect(scopes, `event ${event} needs scope ${needed}`).toContain(needed);
    }
    expect(new Set(scopes).size).toBe(scopes.length);
  });

  it('may upload and delete files (the deliverables: code files, the data dictionary, diagrams)', () => {
    expect(manifest.oauth_config.scopes.bot).toContain('files:write');
  });

  it('points every request URL at /slack/events', () => {
    const urls = [
      ...manifest.features.slash_commands.map((c) => c.url),
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
    ];
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
  });

  it('declares the AI-app side panel with the prompts the bot sets, and the DM events it needs', () => {
    const view = manifest.features.assistant_view;
    expect(view?.assistant_description.trim()).toBeTruthy();
    expect(view?.suggested_prompts?.map((p) => p.title)).toEqual(ASSISTANT_PROMPTS.map((p) => p.title));
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(['assistant_thread_started', 'message.im']),
    );
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining(['assistant:write', 'im:history']),
    );
  });

  it('asks for exactly its bot scopes in the OAuth install, and lists the install redirect URL', () => {
    expect([...BOT_SCOPES].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
    expect((manifest.oauth_config as { redirect_urls?: string[] }).redirect_urls).toEqual([
      'https://YOUR-HOST/slack/oauth_redirect',
    ]);
  });

  it('uses HTTP mode (Socket Mode off)', () => {
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });
});

describe('manifest.socket-mode.yml', () => {
  it('is valid against the official v1 manifest schema', () => {
    const ok = validate(socketManifest);
    expect(ok, `manifest.socket-mode.yml is invalid:\n${formatErrors(validate.errors)}`).toBe(true);
  });

  it('turns Socket Mode on and has no request URL', () => {
    expect(socketManifest.settings.socket_mode_enabled).toBe(true);
    expect(socketManifest.features.slash_commands.every((c) => c.url === undefined)).toBe(true);
    expect(socketManifest.settings.event_subscriptions.request_url).toBeUndefined();
    expect(socketManifest.settings.interactivity.request_url).toBeUndefined();
  });

  it('is the same app as manifest.yml in everything else', () => {
    const httpOnly = structuredClone(manifest);
    for (const command of httpOnly.features.slash_commands) delete command.url;
    delete httpOnly.settings.event_subscriptions.request_url;
    delete httpOnly.settings.interactivity.request_url;
    // The OAuth install's redirect URL needs a public host: only the HTTP manifest has one.
    delete (httpOnly.oauth_config as { redirect_urls?: string[] }).redirect_urls;
    httpOnly.settings.socket_mode_enabled = true;
    expect(socketManifest).toEqual(httpOnly);
  });
});
