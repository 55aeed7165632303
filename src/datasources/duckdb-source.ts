import {
  type ColumnProfile,
  type DataSource,
  DataSourceError,
  type DataSourceLimits,
  type ExplainPlan,
  type QueryRows,
  type TableDescription,
  type TableList,
} from '../core/data-sources/data-source.js';
import type { DuckDbSourceConfig } from '../core/data-sources/source-config.js';

/** Placeholder until the DuckDB adapter lands: every call fails cleanly. */
export class DuckDbDataSource implements DataSource {
  readonly kind = 'duckdb' as const;
  readonly name: string;
  readonly allowsAnalyze: boolean;

  constructor(config: DuckDbSourceConfig, _limits: DataSourceLimits) {
    this.name = config.name;
    this.allowsAnalyze = config.allowAnalyze;
  }

  private unavailable(): never {
    throw new DataSourceError('DuckDB sources are not available yet');
  }
  async listTables(): Promise<TableList> {
    this.unavailable();
  }
  async describeTable(): Promise<TableDescription> {
    this.unavailable();
  }
  async sampleRows(): Promise<QueryRows> {
    this.unavailable();
  }
  async profileColumns(): Promise<ColumnProfile[]> {
    this.unavailable();
  }
  async explain(): Promise<ExplainPlan> {
    this.unavailable();
  }
  async query(): Promise<QueryRows> {
    this.unavailable();
  }
  async close(): Promise<void> {}
}
