import type { IncomingMessage } from 'node:http';
import type { SlackState } from './state.js';

/**
 * The upload URL files.getUploadURLExternal hands out (`POST /upload/v1/<file id>`): it takes the file's
 * bytes raw or as multipart/form-data (the WebClient sends a form with one part), as Slack's upload
 * service does, and answers `200 OK - <bytes>`. An unknown or already completed file gets 404.
 */
export async function receiveUpload(
  state: SlackState,
  fileId: string,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  const file = state.files.get(fileId);
  if (!file || file.deleted || file.messageTs !== undefined) return { status: 404, text: 'not_found' };
  const contentType = req.headers['content-type'] ?? '';
  let bytes = body;
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Request('http://upload.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    }).formData();
    const part = [...form.values()].find((value) => typeof value !== 'string');
    if (!part || typeof part === 'string') return { status: 400, text: 'no file part' };
    bytes = Buffer.from(await part.arrayBuffer());
  }
  file.bytes = bytes;
  return { status: 200, text: `OK - ${bytes.length}` };
}
