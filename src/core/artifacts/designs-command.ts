import { inert } from '../../render/collaboration-messages.js';
import { slackDate } from '../../render/time-text.js';
import type { MessageLinks } from '../slack-roles.js';
import { defineSubCommand, inAck } from '../sub-command.js';
import type { ArtifactStore, DesignEntry } from './artifact-store.js';

/** Designs per page: ten lines stay well inside an ephemeral message's 4,000 characters. */
export const DESIGNS_PER_PAGE = 8;
/** File names shown per design; the rest are counted. */
const FILES_SHOWN = 4;
/** The most pages anyone can ask for (a bound on the offset a typed number may ask the store for). */
const MAX_PAGE = 1_000;

export interface DesignsDeps {
  artifacts: ArtifactStore;
  slack: MessageLinks;
}

/**
 * `/data-engineer designs [page]`: this channel's past solutions that delivered files (title, date,
 * requester, files, a link to the thread), newest first, shown to the asker only, a page at a time.
 */
export const designsSubCommand = defineSubCommand<{ kind: 'designs'; page: number }, DesignsDeps>({
  name: 'designs',
  usage: [
    '`/data-engineer designs [page]` lists this channel’s past designs: title, date, requester, files and thread, newest first',
  ],
  parse: (args) => {
    if (args.length === 0) return { kind: 'designs', page: 1 };
    const words = args[0]?.toLowerCase() === 'page' ? args.slice(1) : args;
    if (words.length !== 1 || !/^\d{1,6}$/.test(words[0] ?? '')) {
      // `designs for the payments team` is a task about designs, not this command.
      return args.length === 1 || args[0]?.toLowerCase() === 'page'
        ? {
            kind: 'invalid',
            message: 'Usage: `/data-engineer designs` or `/data-engineer designs 2` (a page number).',
          }
        : undefined;
    }
    const page = Number(words[0]);
    if (page < 1 || page > MAX_PAGE) {
      return { kind: 'invalid', message: `The page must be a number from 1 to ${MAX_PAGE}.` };
    }
    return { kind: 'designs', page };
  },
  run: (deps, { teamId, channelId }, { page }) => inAck(listDesigns(deps, teamId, channelId, page)),
});

export async function listDesigns(
  deps: DesignsDeps,
  teamId: string,
  channelId: string,
  page: number,
): Promise<string> {
  const offset = (page - 1) * DESIGNS_PER_PAGE;
  const { designs, total } = await deps.artifacts.listDesigns(teamId, channelId, {
    limit: DESIGNS_PER_PAGE,
    offset,
  });
  if (total === 0) {
    return 'No designs in this channel yet. Answers that hand over files (code, a data dictionary, diagrams) are listed here.';
  }
  const pages = Math.ceil(total / DESIGNS_PER_PAGE);
  if (designs.length === 0)
    return `There are ${pages} page(s) of designs in this channel; page ${page} is empty.`;
  const lines = designs.map((d) => designLine(deps, channelId, d));
  const next =
    page < pages ? [`Page ${page} of ${pages} · \`/data-engineer designs ${page + 1}\` for older ones.`] : [];
  return [`*Designs in this channel (${total}), newest first:*`, ...lines, ...next].join('\n');
}

function designLine(deps: DesignsDeps, channelId: string, design: DesignEntry): string {
  const shown = design.files.slice(0, FILES_SHOWN).map((name) => `\`${inert(name, 40).replace(/`/g, '')}\``);
  const more = design.files.length > FILES_SHOWN ? ` +${design.files.length - FILES_SHOWN} more` : '';
  const url = deps.slack.messageLink(channelId, design.threadTs);
  const link = url ? ` · <${url}|thread>` : '';
  return `• *${inert(design.title, 80)}* · ${slackDate(design.updatedAt)} · <@${design.requesterId}> · ${shown.join(', ')}${more}${link}`;
}
