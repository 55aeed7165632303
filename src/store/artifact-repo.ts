import { and, asc, count, desc, eq } from 'drizzle-orm';
import type {
  ArtifactKind,
  ArtifactStore,
  ArtifactUpload,
  DesignEntry,
  NewDesign,
} from '../core/artifacts/artifact-store.js';
import { type DataDictionaryInput, MAX_DICTIONARY_TABLES } from '../core/artifacts/data-dictionary.js';
import type { Db } from './db.js';
import { artifactUploads, designs, dictionaryInputs } from './schema.js';

type UploadRow = typeof artifactUploads.$inferSelect;

/** The deliverables' memory: dictionary descriptions, uploads per answer, the design index. */
export class SqliteArtifactStore implements ArtifactStore {
  constructor(private readonly db: Db) {}

  async saveDictionaryInput(teamId: string, taskId: number, input: DataDictionaryInput): Promise<void> {
    this.db.transaction(
      (tx) => {
        const row = tx
          .select({ input: dictionaryInputs.input })
          .from(dictionaryInputs)
          .where(and(eq(dictionaryInputs.teamId, teamId), eq(dictionaryInputs.taskId, taskId)))
          .get();
        const merged = mergeDictionary(row?.input as DataDictionaryInput | undefined, input);
        tx.insert(dictionaryInputs)
          .values({ teamId, taskId, input: merged, updatedAt: Date.now() })
          .onConflictDoUpdate({
            target: [dictionaryInputs.teamId, dictionaryInputs.taskId],
            set: { input: merged, updatedAt: Date.now() },
          })
          .run();
      },
      { behavior: 'immediate' },
    );
  }

  async dictionaryInput(teamId: string, taskId: number): Promise<DataDictionaryInput | undefined> {
    const row = this.db
      .select({ input: dictionaryInputs.input })
      .from(dictionaryInputs)
      .where(and(eq(dictionaryInputs.teamId, teamId), eq(dictionaryInputs.taskId, taskId)))
      .get();
    return row?.input as DataDictionaryInput | undefined;
  }

  async claimUpload(
    teamId: string,
    upload: { taskId: number; turnId: number; kind: ArtifactKind; title: string; contentHash?: string },
  ): Promise<{ upload: ArtifactUpload; created: boolean }> {
    const inserted = this.db
      .insert(artifactUploads)
      .values({ teamId, ...upload })
      .onConflictDoNothing({
        target: [artifactUploads.teamId, artifactUploads.turnId, artifactUploads.title],
      })
      .run();
    const row = this.db
      .select()
      .from(artifactUploads)
      .where(
        and(
          eq(artifactUploads.teamId, teamId),
          eq(artifactUploads.turnId, upload.turnId),
          eq(artifactUploads.title, upload.title),
        ),
      )
      .get();
    if (!row) throw new Error('artifact upload claim not found');
    return { upload: toUpload(row), created: inserted.changes === 1 };
  }

  async markUploaded(teamId: string, uploadId: number, fileId: string): Promise<void> {
    this.db
      .update(artifactUploads)
      .set({ fileId, state: 'uploaded' })
      .where(and(eq(artifactUploads.teamId, teamId), eq(artifactUploads.id, uploadId)))
      .run();
  }

  async markDeleted(teamId: string, uploadId: number): Promise<void> {
    this.db
      .update(artifactUploads)
      .set({ state: 'deleted' })
      .where(and(eq(artifactUploads.teamId, teamId), eq(artifactUploads.id, uploadId)))
      .run();
  }

  async uploadsOf(teamId: string, taskId: number, kind: ArtifactKind): Promise<ArtifactUpload[]> {
    return this.db
      .select()
      .from(artifactUploads)
      .where(
        and(
          eq(artifactUploads.teamId, teamId),
          eq(artifactUploads.taskId, taskId),
          eq(artifactUploads.kind, kind),
        ),
      )
      .orderBy(asc(artifactUploads.id))
      .all()
      .map(toUpload);
  }

  async recordDesign(design: NewDesign): Promise<void> {
    this.db.transaction(
      (tx) => {
        const existing = tx
          .select({ files: designs.files })
          .from(designs)
          .where(and(eq(designs.teamId, design.teamId), eq(designs.taskId, design.taskId)))
          .get();
        const files = mergeFiles(existing?.files, design.files);
        const now = Date.now();
        tx.insert(designs)
          .values({ ...design, files, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({
            target: [designs.teamId, designs.taskId],
            set: { files, title: design.title, updatedAt: now },
          })
          .run();
      },
      { behavior: 'immediate' },
    );
  }

  async listDesigns(
    teamId: string,
    channelId: string,
    page: { limit: number; offset: number },
  ): Promise<{ designs: DesignEntry[]; total: number }> {
    const where = and(eq(designs.teamId, teamId), eq(designs.channelId, channelId));
    const rows = this.db
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
      .offset(page.offset)
      .all();
    const total = this.db.select({ n: count() }).from(designs).where(where).get()?.n ?? 0;
    return { designs: rows, total };
  }
}

/**
 * Newest descriptions win, and a task keeps at most as many tables as one call may give: the model
 * calling the tool again and again with new names cannot grow the row without bound.
 */
export function mergeDictionary(
  earlier: DataDictionaryInput | undefined,
  input: DataDictionaryInput,
): DataDictionaryInput {
  const named = new Set(input.tables.map((t) => t.table.toLowerCase()));
  return {
    tables: [
      ...(earlier?.tables ?? []).filter((t) => !named.has(t.table.toLowerCase())),
      ...input.tables,
    ].slice(-MAX_DICTIONARY_TABLES),
  };
}

/** A design's files: the earlier ones, then new names, each once. */
export function mergeFiles(earlier: string[] | undefined, added: string[]): string[] {
  return [...new Set([...(earlier ?? []), ...added])];
}

export function toUpload(row: UploadRow): ArtifactUpload {
  return {
    id: row.id,
    taskId: row.taskId,
    turnId: row.turnId,
    kind: row.kind,
    title: row.title,
    ...(row.fileId ? { fileId: row.fileId } : {}),
    state: row.state,
    ...(row.contentHash ? { contentHash: row.contentHash } : {}),
    createdAt: row.createdAt,
  };
}
