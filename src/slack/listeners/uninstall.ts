import type { App } from '@slack/bolt';
import { z } from 'zod';
import { errorSummary } from '../../core/errors.js';
import { type UninstallDeps, uninstallWorkspace } from '../../core/installations/uninstall.js';
import { eventDelivery } from '../event-ack.js';

/** The envelope fields that say whose install it was (Events API outer body). */
const envelope = z.object({
  team_id: z.string().optional(),
  event_time: z.number().optional(),
  enterprise_id: z.string().nullish(),
  is_enterprise_install: z.boolean().optional(),
  authorizations: z.array(z.object({ is_enterprise_install: z.boolean().optional() })).optional(),
});

const revoked = z.object({ tokens: z.object({ bot: z.array(z.string()).optional() }) });

function targetOf(body: unknown) {
  const parsed = envelope.safeParse(body);
  const e = parsed.success ? parsed.data : {};
  const isEnterpriseInstall =
    e.is_enterprise_install === true || e.authorizations?.[0]?.is_enterprise_install === true;
  return {
    teamId: e.team_id,
    enterpriseId: e.enterprise_id ?? undefined,
    isEnterpriseInstall,
    eventTime: e.event_time !== undefined ? e.event_time * 1000 : undefined,
  };
}

/**
 * OAuth install only: `app_uninstalled`, and `tokens_revoked` naming bot tokens (a revoked user token
 * alone leaves the bot working), delete the install and all of the workspace's data. Bolt delivers
 * these events without authorizing them (the token is already gone).
 */
export function registerUninstall(app: App, deps: UninstallDeps): void {
  const uninstall = async (body: unknown, context: Record<string, unknown>) => {
    await uninstallWorkspace(deps, targetOf(body)).catch((error: unknown) => {
      deps.logger.error('could not delete an uninstalled workspace', { error: errorSummary(error) });
      // Not acknowledged: Slack delivers the event again, and the purge (idempotent) is tried again.
      const delivery = eventDelivery(context);
      if (delivery) delivery.failed = true;
    });
  };
  app.event('app_uninstalled', async ({ body, context }) => uninstall(body, context));
  app.event('tokens_revoked', async ({ event, body, context }) => {
    const parsed = revoked.safeParse(event);
    if (!parsed.success || (parsed.data.tokens.bot ?? []).length === 0) return;
    await uninstall(body, context);
  });
}
