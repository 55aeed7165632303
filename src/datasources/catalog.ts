import {
  type DataSource,
  type DataSourceCatalog,
  type DataSourceInfo,
  type DataSourceLimits,
  DEFAULT_DATA_SOURCE_LIMITS,
} from '../core/data-sources/data-source.js';
import type { DataSourceConfig } from '../core/data-sources/source-config.js';
import { DuckDbDataSource } from './duckdb-source.js';
import { PostgresSession } from './postgres-session.js';
import { PostgresDataSource } from './postgres-source.js';

/**
 * Why this file exists: the configured sources by name, built once in the composition root. Building
 * connects to nothing: a PostgreSQL pool opens on the first call, a DuckDB process starts on the first
 * call, so a source that is down costs nothing until the agent uses it (and then fails with a clean
 * message). `closeAll` ends every pool and process; it is safe to call more than once.
 */

export function limitsFor(
  config: DataSourceConfig,
  base: DataSourceLimits = DEFAULT_DATA_SOURCE_LIMITS,
): DataSourceLimits {
  return { ...base, statementTimeoutMs: config.statementTimeoutMs, maxRows: config.maxRows };
}

export function createDataSource(config: DataSourceConfig, base?: DataSourceLimits): DataSource {
  const limits = limitsFor(config, base);
  if (config.kind === 'postgres') {
    const session = new PostgresSession({
      url: config.url,
      statementTimeoutMs: limits.statementTimeoutMs,
      maxConnections: config.maxConnections,
    });
    return new PostgresDataSource(config.name, config.allowAnalyze, session, limits);
  }
  return new DuckDbDataSource(config, limits);
}

class ConfiguredCatalog implements DataSourceCatalog {
  constructor(private readonly sources: Map<string, DataSource>) {}

  list(): DataSourceInfo[] {
    return [...this.sources.values()].map(({ name, kind, allowsAnalyze }) => ({ name, kind, allowsAnalyze }));
  }

  get(name: string): DataSource | undefined {
    return this.sources.get(name);
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.sources.values()].map((source) => source.close()));
  }
}

/** The catalog of `configs` (config.dataSources): the e2e harness passes a PGlite URL the same way. */
export function buildDataSourceCatalog(
  configs: readonly DataSourceConfig[],
  options: { limits?: DataSourceLimits } = {},
): DataSourceCatalog {
  return new ConfiguredCatalog(new Map(configs.map((c) => [c.name, createDataSource(c, options.limits)])));
}
