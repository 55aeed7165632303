import type { DataDictionaryInput } from './data-dictionary.js';

/**
 * Why this file exists: what the deliverables remember between runs: the agent's dictionary
 * descriptions per task, every file handed over per answer (claimed before it is uploaded, so a retried
 * job uploads nothing twice and a replaced dictionary can be deleted), and the channel's design index.
 * SQL lives in src/store/artifact-repo.ts; every call is scoped by team.
 */

export type ArtifactKind = 'code' | 'diagram' | 'dictionary';

export interface ArtifactUpload {
  id: number;
  taskId: number;
  turnId: number;
  kind: ArtifactKind;
  title: string;
  /** Set once the file is known to be shared in the thread. */
  fileId?: string;
  state: 'claimed' | 'uploaded' | 'deleted';
  contentHash?: string;
  createdAt: number;
}

export interface DesignEntry {
  taskId: number;
  title: string;
  requesterId: string;
  threadTs: string;
  files: string[];
  createdAt: number;
  updatedAt: number;
}

export interface NewDesign {
  teamId: string;
  channelId: string;
  taskId: number;
  title: string;
  requesterId: string;
  threadTs: string;
  files: string[];
}

export interface ArtifactStore {
  /** Stores the agent's descriptions for the task; tables named again replace their earlier entry. */
  saveDictionaryInput(teamId: string, taskId: number, input: DataDictionaryInput): Promise<void>;
  dictionaryInput(teamId: string, taskId: number): Promise<DataDictionaryInput | undefined>;
  /**
   * The answer's upload of this title: the existing row (`created` false: an earlier run claimed it),
   * else a new `claimed` one.
   */
  claimUpload(
    teamId: string,
    upload: { taskId: number; turnId: number; kind: ArtifactKind; title: string; contentHash?: string },
  ): Promise<{ upload: ArtifactUpload; created: boolean }>;
  markUploaded(teamId: string, uploadId: number, fileId: string): Promise<void>;
  markDeleted(teamId: string, uploadId: number): Promise<void>;
  /** The task's uploads of a kind, oldest first (every state). */
  uploadsOf(teamId: string, taskId: number, kind: ArtifactKind): Promise<ArtifactUpload[]>;
  /** Adds the task to the design index, or adds new file names to its entry and moves it to the top. */
  recordDesign(design: NewDesign): Promise<void>;
  /** This channel's designs, newest first, and how many there are in all. */
  listDesigns(
    teamId: string,
    channelId: string,
    page: { limit: number; offset: number },
  ): Promise<{ designs: DesignEntry[]; total: number }>;
}
