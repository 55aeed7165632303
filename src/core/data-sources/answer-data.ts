import type { ToolReply } from '../agent-tool.js';
import { errorSummary } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ChannelSourceStore } from './channel-sources.js';
import {
  type DataSource,
  type DataSourceCatalog,
  DataSourceError,
  type DataSourceInfo,
  ReadOnlyRefusal,
} from './data-source.js';
import type { DataToolAuditStore } from './data-tool-audit.js';
import type { DataToolName } from './data-tool-names.js';
import { reasonForAudit, reasonForModel } from './error-reason.js';
import { LookedAt } from './looked-at.js';
import { PersonalDataExposure, type StatementTablesFinder } from './pii-exposure.js';

/** What a data tool call gave back: the text for the model, the rows it carried, the table it read. */
export interface DataToolOutcome {
  text: string;
  rows: number;
  /** `schema.table` when the call read one table (counted in the "Looked at" line). */
  table?: string;
}

export interface AnswerDataDeps {
  dataSources: Pick<DataSourceCatalog, 'get'>;
  channelSources: Pick<ChannelSourceStore, 'sourceOf'>;
  dataAudit: DataToolAuditStore;
  logger: Logger;
  /** Data tool calls one answer may make (DATA_TOOL_CALLS_PER_ANSWER). */
  callsPerAnswer: number;
  /** Characters of one tool result the model reads at most (its token budget). */
  resultChars: number;
  /** PostgreSQL's parser: which relations a statement reads (absent: known table names in the text only). */
  statementTables?: StatementTablesFinder;
}

/** The task a data call is made for: who asked and where. */
export interface DataTask {
  teamId: string;
  channelId: string;
  requesterId: string;
  id: number;
}

/**
 * One answer's access to its channel's source. Every call — made, refused or failed — is audited
 * with the requester, source, tool and statement; a call past the answer's cap, or made after the
 * channel lost its mapping mid-answer, is refused before the source sees it. Refusals and the
 * source's errors go back to the model as tool errors with their safe reason (never a driver error or
 * a connection string).
 */
export class AnswerDataAccess {
  private calls = 0;
  readonly lookedAt = new LookedAt();
  readonly resultChars: number;
  /** Which tables hold personal data, listed and described once per answer (run_query masks by it). */
  readonly exposure: PersonalDataExposure;

  constructor(
    private readonly deps: AnswerDataDeps,
    private readonly task: DataTask,
    readonly source: DataSourceInfo,
  ) {
    this.resultChars = deps.resultChars;
    this.exposure = new PersonalDataExposure(deps.statementTables);
  }

  /** Runs `work` on the channel's source (when it may run) and records the call. */
  async call(
    tool: DataToolName,
    statement: string,
    work: (source: DataSource) => Promise<DataToolOutcome>,
  ): Promise<ToolReply> {
    const startedAt = performance.now();
    const refusal = await this.refusalBeforeRun();
    if (refusal) return await this.refuse(tool, statement, refusal);
    const source = this.deps.dataSources.get(this.source.name) as DataSource;
    try {
      const outcome = await work(source);
      await this.record(tool, statement, startedAt, { rows: outcome.rows, refused: false });
      this.lookedAt.succeeded(tool, outcome.table);
      return outcome.text;
    } catch (error) {
      this.lookedAt.missed();
      // A reason can quote the data the source choked on: cut and masked for each reader (error-reason.ts).
      if (error instanceof ReadOnlyRefusal) {
        await this.record(tool, statement, startedAt, { rows: 0, refused: true, reason: error.reason });
        return { text: `Refused (read-only): ${reasonForModel(error.reason)}`, isError: true };
      }
      if (error instanceof DataSourceError) {
        const reason = error.timedOut ? `timed out: ${error.message}` : error.message;
        await this.record(tool, statement, startedAt, { rows: 0, refused: false, reason });
        return { text: `The source failed: ${reasonForModel(reason)}`, isError: true };
      }
      this.deps.logger.error('a data tool failed', { tool, error: errorSummary(error) });
      await this.record(tool, statement, startedAt, { rows: 0, refused: false, reason: 'internal error' });
      return { text: 'The data tool failed unexpectedly. Continue without it.', isError: true };
    }
  }

  /** A call whose input the tool's schema refused: audited as refused, counted against the cap. */
  async refuseInput(tool: DataToolName, statement: string, problems: string): Promise<void> {
    this.calls += 1;
    this.lookedAt.missed();
    await this.record(tool, statement, performance.now(), {
      rows: 0,
      refused: true,
      reason: `invalid input: ${problems}`,
    });
  }

  private async refusalBeforeRun(): Promise<string | undefined> {
    this.calls += 1;
    if (this.calls > this.deps.callsPerAnswer)
      return `this answer already made ${this.deps.callsPerAnswer} data tool calls, the most one answer may make. Answer with what you have and say what you could not check.`;
    const mapped = await this.deps.channelSources.sourceOf(this.task.teamId, this.task.channelId);
    if (mapped?.sourceName !== this.source.name)
      return 'this channel no longer has this data source (an admin removed or changed it). Answer without reading data.';
    if (!this.deps.dataSources.get(this.source.name))
      return 'this data source is no longer configured. Answer without reading data.';
    return undefined;
  }

  private async refuse(tool: DataToolName, statement: string, reason: string): Promise<ToolReply> {
    this.lookedAt.missed();
    await this.record(tool, statement, performance.now(), { rows: 0, refused: true, reason });
    return { text: `Refused: ${reasonForModel(reason)}`, isError: true };
  }

  private async record(
    tool: DataToolName,
    statement: string,
    startedAt: number,
    outcome: { rows: number; refused: boolean; reason?: string },
  ): Promise<void> {
    try {
      await this.deps.dataAudit.record({
        teamId: this.task.teamId,
        channelId: this.task.channelId,
        userId: this.task.requesterId,
        taskId: this.task.id,
        sourceName: this.source.name,
        tool,
        statement,
        rowsReturned: outcome.rows,
        durationMs: Math.max(0, performance.now() - startedAt),
        refused: outcome.refused,
        ...(outcome.reason !== undefined ? { reason: reasonForAudit(outcome.reason) } : {}),
      });
    } catch (error) {
      // The call's answer stands; a lost audit row is an operator's problem, logged loudly.
      this.deps.logger.error('could not record a data tool call in the audit', {
        tool,
        error: errorSummary(error),
      });
    }
  }
}
