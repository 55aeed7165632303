import { DATA_TOOL, type DataToolName } from './data-tool-names.js';

/**
 * Why this file exists: an answer that used the team's data ends with what it actually looked at,
 * written by the bot from the calls that succeeded ("Looked at: 3 tables, 1 EXPLAIN plan, 2 profiles
 * (source `warehouse`)"), never by the model, so a reader can tell what was seen from what was assumed.
 */
export class LookedAt {
  private readonly tables = new Set<string>();
  private readonly counts = new Map<DataToolName, number>();
  private failed = 0;

  /** A call that returned data; `table` names the table it described, sampled or profiled. */
  succeeded(tool: DataToolName, table?: string): void {
    this.counts.set(tool, (this.counts.get(tool) ?? 0) + 1);
    if (table && tool === DATA_TOOL.describeTable) this.tables.add(table.toLowerCase());
  }

  /** A call that was refused or failed: it showed nothing. */
  missed(): void {
    this.failed += 1;
  }

  /** The closing line, or undefined when no data tool was called in this answer. */
  line(sourceName: string): string | undefined {
    const count = (tool: DataToolName) => this.counts.get(tool) ?? 0;
    const parts = [
      plural(count(DATA_TOOL.listTables), 'table list'),
      plural(this.tables.size, 'table'),
      plural(count(DATA_TOOL.sampleRows), 'sample'),
      plural(count(DATA_TOOL.profileColumns), 'profile'),
      plural(count(DATA_TOOL.explainQuery), 'EXPLAIN plan'),
      plural(count(DATA_TOOL.runQuery), 'query', 'queries'),
    ].filter((part): part is string => part !== undefined);
    const source = `(source \`${sourceName.replace(/`/g, "'")}\`)`;
    if (parts.length > 0) {
      const missed = this.failed > 0 ? `; ${plural(this.failed, 'call')} refused or failed` : '';
      return `Looked at: ${parts.join(', ')} ${source}${missed}.`;
    }
    if (this.failed > 0)
      return `Looked at: no data; ${plural(this.failed, 'call')} refused or failed ${source}.`;
    return undefined;
  }
}

function plural(n: number, one: string, many = `${one}s`): string | undefined {
  if (n === 0) return undefined;
  return `${n} ${n === 1 ? one : many}`;
}
