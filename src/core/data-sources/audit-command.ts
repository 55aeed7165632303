import { inert } from '../../render/collaboration-messages.js';
import { slackDate } from '../../render/time-text.js';
import type { Logger } from '../logger.js';
import { type PermissionDeps, refuseUnlessAdmin } from '../permissions.js';
import { defineSubCommand } from '../sub-command.js';
import type { DataToolAuditStore, StoredDataToolCall } from './data-tool-audit.js';

export type AuditCommandDeps = PermissionDeps & { dataAudit: DataToolAuditStore; logger: Logger };

/** Calls listed per audit: twenty short lines stay inside an ephemeral message's limits. */
export const AUDIT_ROWS = 20;
const STATEMENT_CHARS = 80;

export type AuditArgs = { kind: 'audit'; scope: 'workspace' | 'channel' };

/**
 * `/data-engineer audit [here]`: the last data-tool calls of this workspace (or, with `here`, of this
 * channel), newest first, for admins: when, where, for whom, which source and tool, the statement,
 * rows, time, and whether it was refused. Workspace-wide by default because a source can be mapped to
 * several channels and an admin answers for all of them.
 */
export const auditSubCommand = defineSubCommand<AuditArgs, AuditCommandDeps>({
  name: 'audit',
  usage: [
    `\`/data-engineer audit [here]\` lists the last ${AUDIT_ROWS} data-tool calls of the workspace (or of this channel) (admins)`,
  ],
  parse: (args) => {
    if (args.length === 0) return { kind: 'audit', scope: 'workspace' };
    if (args.length === 1 && args[0]?.toLowerCase() === 'here') return { kind: 'audit', scope: 'channel' };
    return undefined; // "audit our dbt models" is a task
  },
  run: (deps, context, args) => listAudit(deps, context, args),
});

async function listAudit(
  deps: AuditCommandDeps,
  context: { teamId: string; channelId: string; userId: string },
  args: AuditArgs,
): Promise<string> {
  const refusal = await refuseUnlessAdmin(deps, context.userId, 'read the data-tool audit');
  if (refusal) return refusal;
  const calls = await deps.dataAudit.recent(context.teamId, {
    ...(args.scope === 'channel' ? { channelId: context.channelId } : {}),
    limit: AUDIT_ROWS,
  });
  const where = args.scope === 'channel' ? 'this channel' : 'this workspace';
  if (calls.length === 0) return `No data-tool calls in ${where} yet.`;
  return [
    `*Last ${calls.length} data-tool calls in ${where}, newest first:*`,
    ...calls.map(auditLine),
    '_Statements cut short; the audit keeps up to 4,000 characters of each._',
  ].join('\n');
}

function auditLine(call: StoredDataToolCall): string {
  const statement = inert(call.statement, STATEMENT_CHARS).replace(/`/g, "'");
  const outcome = call.refused
    ? `*refused*${call.reason ? `: ${inert(call.reason, 80)}` : ''}`
    : call.reason
      ? `failed: ${inert(call.reason, 80)}`
      : `${call.rowsReturned.toLocaleString('en-US')} rows`;
  return `• ${slackDate(call.createdAt)} · <#${call.channelId}> · <@${call.userId}> · \`${inert(call.sourceName, 40).replace(/`/g, "'")}\` · ${call.tool} · \`${statement}\` · ${outcome} · ${call.durationMs.toLocaleString('en-US')} ms`;
}
