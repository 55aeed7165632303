import { inert } from '../../render/collaboration-messages.js';
import { errorSummary } from '../errors.js';
import type { Logger } from '../logger.js';
import { type PermissionDeps, refuseUnlessAdmin, slackSaid } from '../permissions.js';
import type { ConversationSharingLookup, UserLookup } from '../slack-roles.js';
import { defineSubCommand, type InvalidCommand, inAck, usageText } from '../sub-command.js';
import type { ChannelSourceStore } from './channel-sources.js';
import type { DataSourceCatalog, DataSourceInfo } from './data-source.js';

export type SourcesCommandDeps = PermissionDeps & {
  /** users.info for the admin check, conversations.info for Slack Connect channels. */
  slack: UserLookup & ConversationSharingLookup;
  /** The sources configured in DATA_SOURCES (names and kinds only ever leave it). */
  dataSources: Pick<DataSourceCatalog, 'list'>;
  channelSources: ChannelSourceStore;
  logger: Logger;
};

export type SourcesArgs =
  | { kind: 'sources-show' }
  | { kind: 'sources-use'; name: string }
  | { kind: 'sources-remove'; name: string };

const KIND_LABELS: Record<DataSourceInfo['kind'], string> = { postgres: 'PostgreSQL', duckdb: 'DuckDB' };

/**
 * `/data-engineer sources …`: which read-only sources exist (never a connection string) and which one
 * this channel's tasks may read; admins map or unmap the channel. Unmapped channels behave as before.
 */
export const sourcesSubCommand = defineSubCommand<SourcesArgs, SourcesCommandDeps>({
  name: 'sources',
  usage: [
    '`/data-engineer sources` lists the configured data sources and the one this channel uses',
    '`/data-engineer sources use <name>` lets this channel’s tasks read that source, read-only (admins)',
    '`/data-engineer sources remove <name>` stops this channel’s tasks from reading it (admins)',
  ],
  parse: (args): SourcesArgs | InvalidCommand | undefined => {
    const verb = args[0]?.toLowerCase();
    if (verb === undefined || ((verb === 'list' || verb === 'show') && args.length === 1))
      return { kind: 'sources-show' };
    if (verb !== 'use' && verb !== 'remove') return undefined; // "sources of truth for …" is a task
    const invalid = (message: string): InvalidCommand => ({ kind: 'invalid', message });
    if (args.length !== 2)
      return invalid(`\`sources ${verb}\` takes one source name. ${usageText(sourcesSubCommand)}`);
    const name = args[1] ?? '';
    return verb === 'use' ? { kind: 'sources-use', name } : { kind: 'sources-remove', name };
  },
  run: (deps, context, args) => {
    if (args.kind === 'sources-show') return inAck(listSources(deps, context.teamId, context.channelId));
    return changeSource(deps, context, args);
  },
});

/** `/data-engineer sources`: each source's name, engine and whether EXPLAIN ANALYZE may run. */
export async function listSources(
  deps: SourcesCommandDeps,
  teamId: string,
  channelId: string,
): Promise<string> {
  const sources = deps.dataSources.list();
  const mapped = await deps.channelSources.sourceOf(teamId, channelId);
  if (sources.length === 0) {
    return 'No data sources are configured. An operator adds read-only sources with the `DATA_SOURCES` setting (see the README); until then the bot designs without looking at data.';
  }
  const lines = sources.map((source) => {
    const analyze = source.allowsAnalyze ? 'EXPLAIN ANALYZE allowed' : 'EXPLAIN only (no ANALYZE)';
    const here = source.name === mapped?.sourceName ? ' · *used in this channel*' : '';
    return `• \`${safeName(source.name)}\` · ${KIND_LABELS[source.kind] ?? source.kind} · ${analyze}${here}`;
  });
  const status = !mapped
    ? 'This channel uses no data source: its tasks get no data tools. An admin can run `/data-engineer sources use <name>`.'
    : sources.some((s) => s.name === mapped.sourceName)
      ? `This channel’s tasks may read \`${safeName(mapped.sourceName)}\` (read-only), set by <@${mapped.setBy}>.`
      : `This channel is mapped to \`${safeName(mapped.sourceName)}\`, which is no longer configured: its tasks get no data tools.`;
  return ['*Data sources (read-only):*', ...lines, status].join('\n');
}

async function changeSource(
  deps: SourcesCommandDeps,
  context: { teamId: string; channelId: string; userId: string },
  args: Exclude<SourcesArgs, { kind: 'sources-show' }>,
): Promise<string> {
  const refusal = await refuseUnlessAdmin(deps, context.userId, 'change which data source a channel uses');
  if (refusal) return refusal;
  const { teamId, channelId, userId } = context;
  const current = await deps.channelSources.sourceOf(teamId, channelId);
  if (args.kind === 'sources-remove') {
    if (!(await deps.channelSources.removeSource(teamId, channelId, args.name))) {
      return current
        ? `This channel does not use \`${safeName(args.name)}\`; it uses \`${safeName(current.sourceName)}\`.`
        : `This channel uses no data source, so there is nothing to remove.`;
    }
    deps.logger.info('data source unmapped', { teamId, channelId, source: args.name, by: userId });
    return `This channel’s tasks no longer read \`${safeName(args.name)}\`; they get no data tools.`;
  }
  const known = deps.dataSources.list();
  const source = known.find((s) => s.name === args.name);
  if (!source) return unknownSourceText(args.name, known);
  const shared = await sharingRefusal(deps, channelId);
  if (shared) return shared;
  await deps.channelSources.useSource(teamId, channelId, source.name, userId);
  deps.logger.info('data source mapped', { teamId, channelId, source: source.name, by: userId });
  const replaced =
    current && current.sourceName !== source.name ? ` (instead of \`${safeName(current.sourceName)}\`)` : '';
  return `This channel’s tasks may now read \`${safeName(source.name)}\` (${KIND_LABELS[source.kind] ?? source.kind}, read-only)${replaced}. Every call is audited: \`/data-engineer audit\`.`;
}

/**
 * A Slack Connect channel reaches another organisation: no data source is mapped there (its tasks would
 * not get the tools anyway, data-eligibility.ts). Refused too when Slack cannot say.
 */
async function sharingRefusal(deps: SourcesCommandDeps, channelId: string): Promise<string | undefined> {
  try {
    if (!(await deps.slack.isSharedExternally(channelId))) return undefined;
  } catch (error) {
    deps.logger.warn('could not check whether the channel is shared', { error: errorSummary(error) });
    return `Could not check whether this channel is shared with another organisation${slackSaid(error)}, so no data source was mapped. Try again in a moment.`;
  }
  return 'This channel is shared with another organisation (Slack Connect): no data source can be used here, since what the tools read would reach people outside this workspace. Map the source in an internal channel.';
}

function unknownSourceText(name: string, known: readonly DataSourceInfo[]): string {
  if (known.length === 0)
    return `There is no data source \`${safeName(name)}\`: none is configured (\`DATA_SOURCES\`).`;
  const names = known.map((s) => `\`${safeName(s.name)}\``).join(', ');
  return `There is no data source \`${safeName(name)}\`. Known sources: ${names}.`;
}

/** A name typed by a person or set by the operator, shown inside backticks: inert, one line, short. */
function safeName(name: string): string {
  return inert(name, 60).replace(/`/g, "'");
}
