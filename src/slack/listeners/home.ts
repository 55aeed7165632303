import type { App } from '@slack/bolt';
import { type HomeDeps, publishHome } from '../../core/home/home.js';
import type { WorkRunner } from '../../core/jobs/work-runner.js';

/** Draws the Home tab whenever someone opens it (the app_home_opened event). */
export function registerHome(app: App, deps: HomeDeps & { runner: WorkRunner }): void {
  app.event('app_home_opened', async ({ event, context }) => {
    const teamId = context.teamId;
    if (event.tab !== 'home' || !teamId || typeof event.user !== 'string') return;
    // Drawn after the ack: nothing here needs storing, and Slack need not wait for views.publish.
    deps.runner.track('home', publishHome(deps, teamId, event.user));
  });
}
