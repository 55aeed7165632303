import { describe, expect, it } from 'vitest';
import { SlackError } from '../../src/core/errors.js';
import { createLogger } from '../../src/logger.js';
import { SlackFileUploads } from '../../src/slack/file-uploads.js';
import { CHANNEL, clientFor, fake, USER, useFakeSlack } from '../support/fake-slack-test-setup.js';

describe('SlackFileUploads against the fake Slack (the real WebClient, external upload)', () => {
  useFakeSlack();
  const uploads = () =>
    new SlackFileUploads(clientFor(fake), createLogger({ level: 'error', secrets: [], sink: () => {} }));

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
});
