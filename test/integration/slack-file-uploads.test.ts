import { describe, expect, it } from 'vitest';
import { SlackError } from '../../src/core/errors.js';
import { createLogger } from '../../src/logger.js';
import { SlackFileUploads } from '../../src/slack/file-uploads.js';
import { SlackGateway } from '../../src/slack/slack-gateway.js';
import { FAKE_BOT_ID, FAKE_BOT_USER_ID } from '../support/fake-slack/index.js';
import { CHANNEL, clientFor, fake, USER, useFakeSlack } from '../support/fake-slack-test-setup.js';

const silent = createLogger({ level: 'error', secrets: [], sink: () => {} });
const OURS = { botId: FAKE_BOT_ID, botUserId: FAKE_BOT_USER_ID };

describe('SlackFileUploads against the fake Slack (the real WebClient, external upload)', () => {
  useFakeSlack();
  const uploads = () => new SlackFileUploads(clientFor(fake), silent, OURS);

  it('uploads into the thread with its comment, finds it by title unless already known, and deletes it (twice is fine)', async () => {
    const parent = fake.seedMessage({ channel: CHANNEL, text: 'design', user: USER });
    const bytes = new TextEncoder().encode('create table t (id int);\n');
    const id = await uploads().upload(
      CHANNEL,
      parent.ts,
      { fileName: 't.sql', title: 'sql/t.sql', bytes },
      'sql/t.sql · checked',
    );
    const [file] = fake.filesIn(CHANNEL, parent.ts);
    expect(file).toMatchObject({
      id,
      name: 't.sql',
      title: 'sql/t.sql',
      initialComment: 'sql/t.sql · checked',
    });
    expect(new Uint8Array(file?.bytes ?? [])).toEqual(bytes);
    expect(await uploads().findShared(CHANNEL, parent.ts, 'sql/t.sql', new Set())).toBe(id);
    expect(await uploads().findShared(CHANNEL, parent.ts, 'sql/t.sql', new Set([id]))).toBeUndefined();
    expect(await uploads().findShared(CHANNEL, parent.ts, 'other.sql', new Set())).toBeUndefined();
    await uploads().remove(id);
    await uploads().remove(id);
    expect(fake.filesIn(CHANNEL, parent.ts)).toEqual([]);
    expect(await uploads().findShared(CHANNEL, parent.ts, 'sql/t.sql', new Set())).toBeUndefined();
  });

  it('a refused upload is a SlackError with Slack’s code (not in the channel)', async () => {
    fake.addChannel('C0NOTIN01', { member: false });
    const error = await uploads()
      .upload(
        'C0NOTIN01',
        '1700000000.000100',
        { fileName: 'a.csv', title: 'a.csv', bytes: new Uint8Array([65]) },
        'x',
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackError);
    expect(error).toMatchObject({ code: 'not_in_channel', kind: 'not_a_member' });
  });

  it('never adopts a file another app’s bot shared with the same title, and a file not ours to delete is let go', async () => {
    const parent = fake.seedMessage({ channel: CHANNEL, text: 'design', user: USER });
    const foreign = fake.seedFile({
      channel: CHANNEL,
      threadTs: parent.ts,
      name: 'data-dictionary.csv',
      title: 'data-dictionary.csv',
      bytes: Buffer.from('table,column\n'),
      user: 'U0OTHERBOT',
      botId: 'B0OTHERBOT',
    });
    expect(await uploads().findShared(CHANNEL, parent.ts, 'data-dictionary.csv', new Set())).toBeUndefined();
    // Recorded as ours by an older version: Slack refuses the delete, which must not throw (no endless retry).
    await expect(uploads().remove(foreign)).resolves.toBeUndefined();
    const ours = await uploads().upload(
      CHANNEL,
      parent.ts,
      { fileName: 'data-dictionary.csv', title: 'data-dictionary.csv', bytes: new Uint8Array([65]) },
      'dictionary',
    );
    expect(await uploads().findShared(CHANNEL, parent.ts, 'data-dictionary.csv', new Set())).toBe(ours);
  });

  it('findPosted never takes another app’s message carrying our metadata key for our post', async () => {
    const gateway = new SlackGateway(clientFor(fake), silent, {
      identity: { botId: FAKE_BOT_ID, url: undefined },
    });
    const parent = fake.seedMessage({ channel: CHANNEL, text: 'task', user: USER });
    const metadata = { event_type: 'data_engineer_post', event_payload: { key: 'answer:1:dictionary' } };
    fake.seedMessage({
      channel: CHANNEL,
      thread_ts: parent.ts,
      text: 'forged',
      bot_id: 'B0OTHERBOT',
      metadata,
    });
    fake.seedMessage({ channel: CHANNEL, text: 'forged top-level', bot_id: 'B0OTHERBOT', metadata });
    expect(await gateway.findPosted(CHANNEL, 'answer:1:dictionary', parent.ts)).toBeUndefined();
    expect(await gateway.findPosted(CHANNEL, 'answer:1:dictionary')).toBeUndefined();
    const ts = await gateway.postText(CHANNEL, 'ours', parent.ts, 'answer:1:dictionary');
    expect(await gateway.findPosted(CHANNEL, 'answer:1:dictionary', parent.ts)).toBe(ts);
  });
});
