import { and, asc, count, desc, eq } from 'drizzle-orm';
import type {
  ArtifactKind,
  ArtifactStore,
  ArtifactUpload,
  DesignEntry,
  NewDesign,
} from '../../core/artifacts/artifact-store.js';
import type { DataDictionaryInput } from '../../core/artifacts/data-dictionary.js';
import { mergeDictionary, mergeFiles, toUpload } from '../artifact-repo.js';
import type { PgDb } from './db.js';
import { lockForTransaction } from './locks.js';
import { artifactUploads, designs, dictionaryInputs } from './schema.js';

/** The deliverables' memory on PostgreSQL (see ../artifact-repo.ts). Every statement filters by team. */
export class PostgresArtifactStore implements ArtifactStore {
  constructor(private readonly db: PgDb) {}

  saveDictionaryInput(teamId: string, taskId: number, input: DataDictionaryInput): Promise<void> {
    return this.db.transaction(async (tx) => {
      await lockForTransaction(tx, `dictionary:${teamId}:${taskId}`);
      const [row] = await tx
        .select({ input: dictionaryInputs.input })
        .from(dictionaryInputs)
        .where(and(eq(dictionaryInputs.teamId, teamId), eq(dictionaryInputs.taskId, taskId)));
      const merged = mergeDictionary(row?.input as DataDictionaryInput | undefined, input);
      await tx
        .insert(dictionaryInputs)
        .values({ teamId, taskId, input: merged, updatedAt: Date.now() })
        .onConflictDoUpdate({
          target: [dictionaryInputs.teamId, dictionaryInputs.taskId],
          set: { input: merged, updatedAt: Date.now() },
        });
    });
  }

  async dictionaryInput(teamId: string, taskId: number): Promise<DataDictionaryInput | undefined> {
    const [row] = await this.db
      .select({ input: dictionaryInputs.input })
      .from(dictionaryInputs)
      .where(and(eq(dictionaryInputs.teamId, teamId), eq(dictionaryInputs.taskId, taskId)));
    return row?.input as DataDictionaryInput | undefined;
  }

  async claimUpload(
    teamId: string,
    upload: { taskId: number; turnId: number; kind: ArtifactKind; title: string; contentHash?: string },
  ): Promise<{ upload: ArtifactUpload; created: boolean }> {
    const inserted = await this.db
      .insert(artifactUploads)
      .values({ teamId, ...upload })
      .onConflictDoNothing({
        target: [artifactUploads.teamId, artifactUploads.turnId, artifactUploads.title],
      })
      .returning();
    if (inserted[0]) return { upload: toUpload(inserted[0]), created: true };
    const [row] = await this.db
      .select()
      .from(artifactUploads)
      .where(
        and(
          eq(artifactUploads.teamId, teamId),
          eq(artifactUploads.turnId, upload.turnId),
          eq(artifactUploads.title, upload.title),
        ),
      );
    if (!row) throw new Error('artifact upload claim not found');
    return { upload: toUpload(row), created: false };
  }

  async markUploaded(teamId: string, uploadId: number, fileId: string): Promise<void> {
    await this.db
      .update(artifactUploads)
      .set({ fileId, state: 'uploaded' })
      .where(and(eq(artifactUploads.teamId, teamId), eq(artifactUploads.id, uploadId)));
  }

  async markDeleted(teamId: string, uploadId: number): Promise<void> {
    await this.db
      .update(artifactUploads)
      .set({ state: 'deleted' })
      .where(and(eq(artifactUploads.teamId, teamId), eq(artifactUploads.id, uploadId)));
  }

  async uploadsOf(teamId: string, taskId: number, kind: ArtifactKind): Promise<ArtifactUpload[]> {
    const rows = await this.db
      .select()
      .from(artifactUploads)
      .where(
        and(
          eq(artifactUploads.teamId, teamId),
          eq(artifactUploads.taskId, taskId),
          eq(artifactUploads.kind, kind),
        ),
      )
      .orderBy(asc(artifactUploads.id));
    return rows.map(toUpload);
  }

  recordDesign(design: NewDesign): Promise<void> {
    return this.db.transaction(async (tx) => {
      await lockForTransaction(tx, `design:${design.teamId}:${design.taskId}`);
      const [existing] = await tx
        .select({ files: designs.files })
        .from(designs)
        .where(and(eq(designs.teamId, design.teamId), eq(designs.taskId, design.taskId)));
      const files = mergeFiles(existing?.files, design.files);
      const now = Date.now();
      await tx
        .insert(designs)
        .values({ ...design, files, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [designs.teamId, designs.taskId],
          set: { files, title: design.title, updatedAt: now },
        });
    });
  }

  async listDesigns(
    teamId: string,
    channelId: string,
    page: { limit: number; offset: number },
  ): Promise<{ designs: DesignEntry[]; total: number }> {
    const where = and(eq(designs.teamId, teamId), eq(designs.channelId, channelId));
    const rows = await this.db
      .select({
        taskId: designs.taskId,
        title: designs.title,
        requesterId: designs.requesterId,
        threadTs: designs.threadTs,
        files: designs.files,
        createdAt: designs.createdAt,
        updatedAt: designs.updatedAt,
      })
      .from(designs)
      .where(where)
      .orderBy(desc(designs.updatedAt), desc(designs.id))
      .limit(page.limit)
      .offset(page.offset);
    const [total] = await this.db.select({ n: count() }).from(designs).where(where);
    return { designs: rows, total: total?.n ?? 0 };
  }
}
