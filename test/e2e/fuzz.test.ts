import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textReply } from '../support/fake-anthropic.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { rng } from '../support/seeded-random.js';
import {
  blockActionsBody,
  eventEnvelope,
  signSlackRequest,
  slashCommandBody,
} from '../support/slack-signing.js';

type Fuzzed = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  signed: boolean;
  kind?: number;
};

/**
 * 1,000 malformed or mutated requests, signed and unsigned, against the running bot: none may crash it
 * or get a 5xx, forged ones may not change anything, and the database must stay intact.
 */
describe('fuzzing the HTTP endpoint', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.anthropic.setDefault(textReply('## Data Engineering Solution: ok\nDone.'));
  });
  afterAll(async () => {
    await h.close();
  });

  const random = rng(20261126);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const int = (max: number) => Math.floor(random() * max);

  function garbage(length: number): string {
    const alphabet = [
      'a',
      'Z',
      '{',
      '}',
      '"',
      '\\',
      '%',
      '&',
      '=',
      '<',
      '>',
      '\u0000',
      '\u202e',
      'é',
      '😀',
      '\n',
      ' ',
    ];
    return Array.from({ length }, () => pick(alphabet)).join('');
  }

  function mutate(text: string): string {
    const chars = [...text];
    const edits = 1 + int(5);
    for (let i = 0; i < edits; i++) {
      const at = int(chars.length + 1);
      const op = int(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, garbage(1 + int(3)));
      else chars.splice(at, int(20));
    }
    return chars.join('');
  }

  function signed(body: string | Buffer, contentType: string, extra: Record<string, string> = {}): Fuzzed {
    return {
      method: 'POST',
      path: '/slack/events',
      headers: {
        'content-type': contentType,
        ...signSlackRequest(TEST_SECRETS.signingSecret, body.toString()),
        ...extra,
      },
      body,
      signed: true,
    };
  }

  function validCommand(): string {
    const text = pick([
      'design a pipeline',
      '',
      'help',
      'owners',
      'owners set qa <!here>',
      'digest at 99:99',
      garbage(40),
    ]);
    return slashCommandBody({ text, response_url: h.slack.responseUrl(), channel_id: 'C0GENERAL1' });
  }

  function validEvent(): string {
    const event = pick([
      { type: 'app_mention', channel: 'C0GENERAL1', user: 'U0ANA0001', text: 'hi', ts: '1700000000.000900' },
      {
        type: 'message',
        channel: 'D0DIRECT01',
        channel_type: 'im',
        user: 'U0ANA0001',
        text: garbage(20),
        ts: '1700000001.000100',
      },
      { type: 'message', subtype: 'message_changed', channel: 'C0GENERAL1', ts: '1.2' },
      { type: 'reaction_added', user: 'U1', reaction: 'tada' },
      { type: 'app_home_opened', user: 'U1', tab: 'home' },
      { type: 'message', channel: 42, user: ['x'], ts: null },
    ]);
    return eventEnvelope(event, { event_id: `EvFuzz${int(1e9)}` });
  }

  /** One fuzzed request: mostly mutated real payloads, some pure garbage, some forged. */
  function fuzzed(): Fuzzed {
    const kind = int(14);
    return { ...fuzzedOf(kind), kind };
  }

  function fuzzedOf(kind: number): Fuzzed {
    const form = 'application/x-www-form-urlencoded';
    const json = 'application/json';
    switch (kind) {
      case 0:
        return signed(mutate(validCommand()), form);
      case 1:
        return signed(mutate(validEvent()), json);
      case 2:
        return signed(validEvent(), pick(['text/plain', 'application/xml', 'multipart/form-data', form]));
      case 3:
        return signed(validCommand(), pick([json, 'text/html', '']));
      case 4:
        return signed(garbage(int(400)), pick([json, form]));
      case 5:
        return signed(
          `payload=${encodeURIComponent(mutate('{"type":"block_actions","actions":[{"action_id":"task_retry","value":"1"}]}'))}`,
          form,
        );
      case 6: {
        const body = blockActionsBody({
          userId: 'U0ANA0001',
          channelId: 'C0GENERAL1',
          messageTs: '1.1',
          actionId: pick(['task_retry', 'collaboration_done', 'collaboration_acknowledge', 'unknown_action']),
          value: pick(['1', '-5', 'abc', '99999999999999999999', '']),
          responseUrl: h.slack.responseUrl(),
        });
        return signed(body, form);
      }
      case 7:
        return signed(JSON.stringify({ type: 'url_verification', challenge: garbage(10) }), json);
      case 8: // a replayed request: signed correctly, ten minutes ago
        return {
          method: 'POST',
          path: '/slack/events',
          headers: {
            'content-type': form,
            ...signSlackRequest(
              TEST_SECRETS.signingSecret,
              validCommand(),
              Math.floor(Date.now() / 1000) - 600,
            ),
          },
          body: validCommand(),
          signed: false,
        };
      case 9: // forged: a signature for a different body, or with the wrong secret
        return {
          method: 'POST',
          path: '/slack/events',
          headers: {
            'content-type': form,
            ...signSlackRequest(
              pick([TEST_SECRETS.signingSecret, 'not-the-secret']),
              pick(['x=1', validCommand()]),
            ),
          },
          body: validCommand(),
          signed: false,
        };
      case 10: // unsigned
        return {
          method: 'POST',
          path: '/slack/events',
          headers: { 'content-type': json },
          body: validEvent(),
          signed: false,
        };
      case 11: // huge
        return signed(Buffer.alloc(1_500_000, 'a'), json);
      case 12:
        return {
          method: pick(['GET', 'PUT', 'DELETE', 'PATCH']),
          path: pick(['/slack/events', '/', '/admin', '/healthz/../x']),
          headers: {},
          signed: false,
        };
      default:
        return signed(
          mutate(validEvent()).slice(0, int(200)),
          json,
          pick<Record<string, string>>([{}, { 'x-slack-retry-num': '1' }]),
        );
    }
  }

  /** The response status; 0 if the bot never answered (a hung request is a failure too). */
  async function send(request: Fuzzed): Promise<number> {
    try {
      const response = await fetch(`${h.app.url}${request.path}`, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }

  it('survives 1,000 malformed, mutated and forged requests', async () => {
    const requests = Array.from({ length: Number(process.env.FUZZ_COUNT ?? 1_000) }, fuzzed);
    const forged = requests.filter((r) => !r.signed && r.method === 'POST');
    const tasksBefore = h.query('select id from tasks').length;
    // Forged requests first, alone: they must not change anything.
    const forgedStatuses = await Promise.all(forged.map(send));
    expect(new Set(forgedStatuses)).toEqual(new Set([401]));
    expect(h.query('select id from tasks')).toHaveLength(tasksBefore);

    const statuses: number[] = [];
    const rest = requests.filter((r) => !forged.includes(r));
    for (let i = 0; i < rest.length; i += 25) {
      statuses.push(...(await Promise.all(rest.slice(i, i + 25).map(send))));
    }
    await h.app.idle();
    const failures = rest
      .map((r, i) => ({ kind: r.kind, status: statuses[i] ?? 0, body: String(r.body).slice(0, 400) }))
      .filter(({ status }) => status >= 500 || status === 0);
    expect(failures).toEqual([]);
    expect(statuses).toContain(413);

    expect((await fetch(`${h.app.url}/healthz`)).status).toBe(200);
    const db = new Database(h.databasePath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
    const logs = h.logs.join('\n');
    for (const secret of Object.values(TEST_SECRETS)) expect(logs).not.toContain(secret);
  }, 60_000);
});
