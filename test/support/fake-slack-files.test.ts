import { describe, expect, it } from 'vitest';
import { CHANNEL, client, fake, platformError, USER, useFakeSlack } from './fake-slack-test-setup.js';

describe('fake Slack: external file upload and files.delete', () => {
  useFakeSlack();

  it('filesUploadV2 through the real WebClient: the bytes reach the upload URL on the fake and the file is shared into the thread with its comment', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'design' });
    const sql = 'create table fct_sessions (\n  session_id bigint primary key\n);\n';
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
    const result = await client.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts ?? '',
      initial_comment: 'fct_sessions.sql — checked ✓',
      file_uploads: [
        { file: Buffer.from(sql), filename: 'fct_sessions.sql', title: 'fct_sessions.sql' },
        { file: png, filename: 'er-diagram.png', title: 'ER diagram' },
      ],
    });
    expect(result.ok).toBe(true);
    const upload = fake.callsTo('files.getUploadURLExternal');
    expect(upload.map((c) => c.args.filename)).toEqual(['fct_sessions.sql', 'er-diagram.png']);
    expect(upload.map((c) => Number(c.args.length))).toEqual([Buffer.byteLength(sql), png.length]);
    expect(upload[0]?.response.upload_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/upload\/v1\/F\w+$/);

    const files = fake.filesIn(CHANNEL, parent.ts);
    expect(files.map((f) => [f.name, f.title])).toEqual([
      ['fct_sessions.sql', 'fct_sessions.sql'],
      ['er-diagram.png', 'ER diagram'],
    ]);
    expect(files[0]?.bytes.toString('utf8')).toBe(sql);
    expect(files[1]?.bytes.equals(png)).toBe(true);
    expect(files[0]?.initialComment).toBe('fct_sessions.sql — checked ✓');
    // One share message in the thread carries both files (same comment, same thread).
    const share = fake.threadMessages(CHANNEL, parent.ts ?? '').filter((m) => m.files);
    expect(share).toHaveLength(1);
    expect(share[0]?.files?.map((f: { name: string }) => f.name)).toEqual([
      'fct_sessions.sql',
      'er-diagram.png',
    ]);
    const replies = await client.conversations.replies({ channel: CHANNEL, ts: parent.ts ?? '' });
    expect(replies.messages?.[1]?.files?.[0]).toMatchObject({ id: files[0]?.id, name: 'fct_sessions.sql' });
  });

  it('files.getUploadURLExternal refuses what Slack refuses: no filename, no or zero length, over the size limit, a large snippet, a long alt text', async () => {
    await expect(client.files.getUploadURLExternal({ length: 10 } as never)).rejects.toMatchObject(
      platformError('invalid_arguments'),
    );
    await expect(client.files.getUploadURLExternal({ filename: 'a.sql' } as never)).rejects.toMatchObject(
      platformError('invalid_arguments'),
    );
    await expect(client.files.getUploadURLExternal({ filename: 'a.sql', length: 0 })).rejects.toMatchObject(
      platformError('missing_argument'),
    );
    await expect(client.files.getUploadURLExternal({ filename: 'a.sql', length: 1.5 })).rejects.toMatchObject(
      platformError('invalid_arguments'),
    );
    fake.setFileSizeLimit(1_000);
    await expect(
      client.files.getUploadURLExternal({ filename: 'a.sql', length: 1_001 }),
    ).rejects.toMatchObject(platformError('file_upload_size_restricted'));
    fake.setFileSizeLimit(1024 ** 3);
    await expect(
      client.files.getUploadURLExternal({ filename: 'a.sql', length: 2 * 1024 ** 2, snippet_type: 'sql' }),
    ).rejects.toMatchObject(platformError('snippet_too_large'));
    await expect(
      client.files.getUploadURLExternal({ filename: 'a.png', length: 10, alt_text: 'x'.repeat(1_001) }),
    ).rejects.toMatchObject(platformError('alt_txt_too_large'));
  });

  it('files.completeUploadExternal: an unknown file, one whose bytes never arrived, one completed twice, a bad files argument and a channel the bot is not in are refused', async () => {
    const { file_id: id, upload_url: url } = await client.files.getUploadURLExternal({
      filename: 'x.sql',
      length: 3,
    });
    await expect(
      client.files.completeUploadExternal({ files: [{ id: id ?? '' }], channel_id: CHANNEL }),
    ).rejects.toMatchObject(platformError('file_not_found'));
    const uploaded = await fetch(url ?? '', { method: 'POST', body: 'abc' });
    expect(uploaded.status).toBe(200);
    expect(await uploaded.text()).toBe('OK - 3');
    await expect(
      client.files.completeUploadExternal({ files: [] as never, channel_id: CHANNEL }),
    ).rejects.toMatchObject(platformError('invalid_arguments'));
    await expect(
      client.files.completeUploadExternal({ files: [{ id: 'F0NOPE0001' }], channel_id: CHANNEL }),
    ).rejects.toMatchObject(platformError('file_not_found'));
    fake.addChannel('C0NOTIN01', { member: false });
    await expect(
      client.files.completeUploadExternal({ files: [{ id: id ?? '' }], channel_id: 'C0NOTIN01' }),
    ).rejects.toMatchObject(platformError('not_in_channel'));
    await client.files.completeUploadExternal({ files: [{ id: id ?? '', title: 'x' }], channel_id: CHANNEL });
    await expect(
      client.files.completeUploadExternal({ files: [{ id: id ?? '' }], channel_id: CHANNEL }),
    ).rejects.toMatchObject(platformError('file_not_found'));
    expect((await fetch(url ?? '', { method: 'POST', body: 'again' })).status).toBe(404);
    expect(fake.filesIn(CHANNEL).map((f) => f.bytes.toString())).toEqual(['abc']);
  });

  it('files.delete: the file becomes a tombstone in its share message; twice is file_deleted; unknown is file_not_found; someone else’s is cant_delete_file', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'design' });
    await client.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts ?? '',
      file: Buffer.from('a,b\r\n'),
      filename: 'data-dictionary.csv',
    });
    const [file] = fake.filesIn(CHANNEL, parent.ts);
    await client.files.delete({ file: file?.id ?? '' });
    expect(fake.filesIn(CHANNEL, parent.ts)).toEqual([]);
    expect(fake.filesIn(CHANNEL, parent.ts, { includeDeleted: true })).toHaveLength(1);
    const share = fake.threadMessages(CHANNEL, parent.ts ?? '').find((m) => m.upload);
    expect(share?.files).toEqual([{ id: file?.id, mode: 'tombstone' }]);
    await expect(client.files.delete({ file: file?.id ?? '' })).rejects.toMatchObject(
      platformError('file_deleted'),
    );
    await expect(client.files.delete({ file: 'F0NOPE0001' })).rejects.toMatchObject(
      platformError('file_not_found'),
    );
    const theirs = fake.seedFile({
      channel: CHANNEL,
      threadTs: parent.ts ?? '',
      name: 'notes.txt',
      bytes: Buffer.from('mine'),
      user: USER,
    });
    await expect(client.files.delete({ file: theirs })).rejects.toMatchObject(
      platformError('cant_delete_file'),
    );
  });
});

describe('fake Slack: files people share (files.info and the file host)', () => {
  useFakeSlack();

  it('files.info returns the file object with its private URLs and where it is shared; unknown → file_not_found', async () => {
    const { fileId, event } = fake.shareFile({
      channel: CHANNEL,
      user: USER,
      name: 'orders.csv',
      bytes: Buffer.from('a\n1\n'),
    });
    const info = await client.files.info({ file: fileId });
    expect(info.file).toMatchObject({
      id: fileId,
      name: 'orders.csv',
      mimetype: 'text/csv',
      filetype: 'csv',
      size: 4,
      channels: [CHANNEL],
      groups: [],
      ims: [],
    });
    expect(info.file?.url_private_download).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/files-pri\/T\w+-F\w+\/download\/orders\.csv$/,
    );
    expect(Object.keys(info.file?.shares?.public ?? {})).toEqual([CHANNEL]);
    // The message event Slack sends for the share: subtype file_share, the same file object in `files`.
    expect(event).toMatchObject({ type: 'message', subtype: 'file_share', channel: CHANNEL, user: USER });
    expect((event.files as { id: string }[])[0]?.id).toBe(fileId);
    await expect(client.files.info({ file: 'F0NOSUCH01' })).rejects.toMatchObject(
      platformError('file_not_found'),
    );
  });

  it('serves the bytes only with a bearer token; without one Slack redirects to its sign-in page', async () => {
    const bytes = Buffer.from('id,kind\n1,a\n');
    const { fileId } = fake.shareFile({ channel: CHANNEL, user: USER, name: 'k.csv', bytes });
    const url = String((await client.files.info({ file: fileId })).file?.url_private_download);
    const withToken = await fetch(url, { headers: { authorization: 'Bearer xoxb-any-bot-token' } });
    expect(withToken.status).toBe(200);
    expect(Buffer.from(await withToken.arrayBuffer()).equals(bytes)).toBe(true);
    const without = await fetch(url, { redirect: 'manual' });
    expect(without.status).toBe(302);
    expect(without.headers.get('location')).toMatch(/\/\?redirect=/);
    expect(fake.fileDownloads.map((d) => d.status)).toEqual([200, 302]);
  });
});
