import { App, type InstallationStore as BoltInstallationStore, HTTPReceiver, LogLevel } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { errorSummary } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type Metrics, NO_METRICS } from '../core/metrics.js';
import {
  INSTALL_PATH,
  OAUTH_REDIRECT_PATH,
  type RequestHandler,
  SLACK_PATH,
  type SlackHandler,
} from '../http-server.js';
import { measureAcks } from './ack-metrics.js';
import { toBoltLogger } from './bolt-logger.js';
import { BOT_SCOPES } from './bot-scopes.js';
import { ackEventsWhenStored } from './event-ack.js';
import { ListenerTable } from './listener-table.js';
import {
  type ActionDeps,
  registerActions,
  registerRetry,
  registerStop,
  registerUnknownActions,
} from './listeners/actions.js';
import { type AssistantListenerDeps, registerAssistant } from './listeners/assistant.js';
import { type CommandDeps, registerCommands } from './listeners/commands.js';
import { registerEvents } from './listeners/events.js';
import { type FeedbackListenerDeps, registerFeedback } from './listeners/feedback.js';
import { registerHome } from './listeners/home.js';
import {
  type QualityCheckListenerDeps,
  registerCheckAlerts,
  registerQualityChecks,
} from './listeners/quality-checks.js';
import { registerUninstall } from './listeners/uninstall.js';
import { MeteredWebClient } from './metered-client.js';
import { SlackRequestReceiver } from './request-receiver.js';
import type { SlackIdentity } from './slack-identity.js';
import { createSocketModeReceiver, type SocketModeOptions, socketModeStartError } from './socket-mode.js';
import type { WorkspaceClients } from './workspaces.js';

/** The only place Bolt is built: the rest of the app sees a request handler and a stop. */

/** The Slack settings the app is built from (the config's `slack` section). */
export interface SlackSettings {
  botToken: string | undefined;
  signingSecret: string | undefined;
  appToken: string | undefined;
  apiUrl: string;
  /** The OAuth v2 install (several workspaces); undefined = one workspace with botToken. */
  oauth?:
    | { clientId: string; clientSecret: string; stateSecret: string; redirectUri: string | undefined }
    | undefined;
}

/** With the OAuth install: where installs are kept (Bolt's shape) and what uninstall deletes. */
export interface SlackInstallDeps {
  installationStore: BoltInstallationStore;
  uninstall: Parameters<typeof registerUninstall>[1];
}

/** Everything the listeners use. */
export type ListenerDeps = CommandDeps &
  ActionDeps &
  Parameters<typeof registerEvents>[1] &
  Parameters<typeof registerHome>[1] &
  FeedbackListenerDeps &
  AssistantListenerDeps &
  QualityCheckListenerDeps & { metrics?: Metrics };

export interface SlackApp {
  /** HTTP mode: what serves POST /slack/events, once checked and parsed. Undefined in Socket Mode (Bolt holds the socket). */
  requestHandler: SlackHandler | undefined;
  /** OAuth install: what serves GET /slack/install and /slack/oauth_redirect (both modes). */
  installHandler: RequestHandler | undefined;
  socketMode: boolean;
  stop(): Promise<void>;
}

function clientOptions(settings: SlackSettings, logger: Logger): WebClientOptions {
  return {
    slackApiUrl: settings.apiUrl,
    // Retries are ours, per call (see src/slack/slack-calls.ts); a hung connection ends after 15 s.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 15_000,
    logger: toBoltLogger(logger, LogLevel.WARN),
  };
}

/** A Web API client for one bot token (the single workspace's, or one install's); each call counted when metrics are on. */
export function createSlackClient(
  settings: SlackSettings,
  logger: Logger,
  metrics: Metrics = NO_METRICS,
  token = settings.botToken,
): WebClient {
  const options = clientOptions(settings, logger);
  if (metrics === NO_METRICS) return new WebClient(token, options);
  return new MeteredWebClient(token, options, metrics);
}

/**
 * Builds the Bolt app for this bot (HTTP or, with an app token, Socket Mode), registers every
 * listener and starts receiving. Events are acknowledged only once stored (src/slack/event-ack.ts).
 */
export async function startSlackApp(
  settings: SlackSettings,
  identity: SlackIdentity | undefined,
  deps: ListenerDeps & { workspaces: WorkspaceClients },
  socketOptions: SocketModeOptions = {},
  install?: SlackInstallDeps,
): Promise<SlackApp> {
  const { logger } = deps;
  const boltLogger = toBoltLogger(logger, LogLevel.WARN);
  const socketMode = settings.appToken !== undefined;
  const socketReceiver = socketMode
    ? createSocketModeReceiver(settings, boltLogger, socketOptions)
    : undefined;
  // The OAuth routes are Bolt's HTTPReceiver's in both modes, served on our own listener (Bolt's
  // alternative, installerOptions.port, would open a second port); it receives no Slack requests.
  const oauthReceiver = install && createOAuthReceiver(settings, boltLogger, install.installationStore);
  // HTTP mode: requests reach the app through our server, already verified and parsed.
  const receiver = socketMode ? undefined : new SlackRequestReceiver(logger);
  const app = new App({
    ...(install
      ? // Installs are read through the InstallProvider of the OAuth routes' receiver.
        { authorize: oauthReceiver?.installer?.authorize.bind(oauthReceiver.installer) }
      : {
          token: settings.botToken,
          botId: identity?.botId,
          botUserId: identity?.botUserId,
          // auth.test already passed at start-up; Bolt need not repeat it.
          tokenVerificationEnabled: false,
        }),
    // No listener reads Bolt's per-conversation state (context.conversation); its default in-memory
    // store costs every request a lookup that ends in a thrown "Conversation not found" (a stack trace).
    convoStore: false,
    logger: boltLogger,
    clientOptions: clientOptions(settings, logger),
    receiver: receiver ?? socketReceiver,
  });
  app.error(async (error) => {
    logger.error('unhandled error in a Slack listener', { error: errorSummary(error) });
  });
  // Every listener runs as its request's workspace: its Slack calls use that workspace's token.
  if (install)
    app.use(async ({ context, body, next }) => runAsWorkspace(deps.workspaces, context, body, next));
  registerListeners(app, deps, install);
  (receiver ?? socketReceiver)?.init(measureAcks(ackEventsWhenStored(app), deps.metrics ?? NO_METRICS));
  if (!receiver) {
    await app.start().catch((error: unknown) => {
      throw socketModeStartError(error);
    });
  }
  return {
    requestHandler: receiver?.requestListener,
    installHandler: oauthReceiver?.requestListener,
    socketMode,
    stop: stopOnce(app, socketMode),
  };
}

/**
 * The OAuth install's routes (GET INSTALL_PATH and OAUTH_REDIRECT_PATH) and its InstallProvider, which
 * also authorizes each request. Slack's requests never reach it: signature verification is off because
 * POST /slack/events goes to SlackRequestReceiver.
 */
function createOAuthReceiver(
  settings: SlackSettings,
  boltLogger: ReturnType<typeof toBoltLogger>,
  installationStore: BoltInstallationStore,
): HTTPReceiver | undefined {
  const oauth = settings.oauth;
  if (!oauth) return undefined;
  return new HTTPReceiver({
    signingSecret: settings.signingSecret ?? '',
    // Not served: our server routes only the install paths here.
    endpoints: SLACK_PATH,
    logger: boltLogger,
    signatureVerification: false,
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    // Signs the state Bolt puts in the install URL and its cookie; the callback checks both.
    stateSecret: oauth.stateSecret,
    installationStore,
    scopes: [...BOT_SCOPES],
    redirectUri: oauth.redirectUri,
    installerOptions: {
      installPath: INSTALL_PATH,
      redirectUriPath: OAUTH_REDIRECT_PATH,
      // oauth.v2.access and auth.test go to SLACK_API_URL (a proxy, or the tests' fake).
      clientOptions: { slackApiUrl: settings.apiUrl },
    },
  });
}

/** The request's workspace: Bolt's authorize result, else the envelope (uninstall events skip it). */
async function runAsWorkspace(
  workspaces: WorkspaceClients,
  context: { teamId?: string; enterpriseId?: string },
  body: unknown,
  next: () => Promise<void>,
): Promise<void> {
  const b = body as { team_id?: unknown; team?: { id?: unknown } };
  const teamId =
    context.teamId ??
    (typeof b.team_id === 'string' ? b.team_id : undefined) ??
    (typeof b.team?.id === 'string' ? b.team.id : undefined);
  if (!teamId) return next();
  await workspaces.run(teamId, next, context.enterpriseId);
}

/** Socket Mode: closes the connection (Slack then delivers events to another one, or again later). */
function stopOnce(app: App, socketMode: boolean): () => Promise<void> {
  let stopped: Promise<unknown> | undefined;
  return async () => {
    if (socketMode) stopped ??= app.stop();
    await stopped;
  };
}

/** Every listener, dispatched by one Bolt listener per kind (src/slack/listener-table.ts). */
function registerListeners(boltApp: App, deps: ListenerDeps, install: SlackInstallDeps | undefined): void {
  const table = new ListenerTable();
  const app = table.asApp();
  if (install) registerUninstall(app, install.uninstall);
  registerCommands(app, deps);
  registerEvents(app, deps);
  registerActions(app, deps);
  registerRetry(app, deps);
  registerStop(app, deps);
  registerUnknownActions(app, deps);
  registerHome(app, deps);
  registerFeedback(app, deps);
  registerAssistant(app, deps);
  registerQualityChecks(app, deps);
  registerCheckAlerts(app, deps);
  table.mount(boltApp);
}
