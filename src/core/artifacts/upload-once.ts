import type { PostAnswerInput } from '../post-answer/post-answer-step.js';
import type { ArtifactKind, ArtifactStore } from './artifact-store.js';
import type { FileUploader, ThreadFile } from './file-uploader.js';

/**
 * Why this file exists: every file of an answer is uploaded at most once, across crashes and retries.
 * An upload is claimed in the store (by answer and title) before it is made; a claim an earlier run
 * left without a file id may have landed, so the thread is searched for it (a file of that title no
 * stored upload knows) before uploading again.
 */

export interface OnceUploader {
  /** Uploads the file unless this answer already did; returns its Slack file id. */
  upload(kind: ArtifactKind, file: ThreadFile, comment: string, contentHash?: string): Promise<string>;
  /** True when this answer already uploaded a file of this title. */
  isUploaded(title: string): Promise<boolean>;
}

export function onceUploader(
  deps: { files: FileUploader; artifacts: ArtifactStore },
  input: Pick<PostAnswerInput, 'teamId' | 'channelId' | 'threadTs' | 'taskId' | 'turnId'>,
): OnceUploader {
  const { teamId, taskId, turnId } = input;
  const ofTask = async () =>
    (
      await Promise.all(
        (['code', 'diagram', 'dictionary'] as const).map((kind) =>
          deps.artifacts.uploadsOf(teamId, taskId, kind),
        ),
      )
    ).flat();
  return {
    isUploaded: async (title) =>
      (await ofTask()).some((u) => u.turnId === turnId && u.title === title && u.fileId),
    async upload(kind, file, comment, contentHash) {
      const { upload, created } = await deps.artifacts.claimUpload(teamId, {
        taskId,
        turnId,
        kind,
        title: file.title,
        ...(contentHash ? { contentHash } : {}),
      });
      if (upload.fileId) return upload.fileId;
      if (!created) {
        const known = new Set((await ofTask()).flatMap((u) => (u.fileId ? [u.fileId] : [])));
        const landed = await deps.files.findShared(input.channelId, input.threadTs, file.title, known);
        if (landed) {
          await deps.artifacts.markUploaded(teamId, upload.id, landed);
          return landed;
        }
      }
      const fileId = await deps.files.upload(input.channelId, input.threadTs, file, comment);
      await deps.artifacts.markUploaded(teamId, upload.id, fileId);
      return fileId;
    },
  };
}
