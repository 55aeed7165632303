import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { errorSummary } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type Metrics, NO_METRICS } from '../core/metrics.js';
import { type RequestHandler, SLACK_PATH } from '../http-server.js';
import { measureAcks } from './ack-metrics.js';
import { toBoltLogger } from './bolt-logger.js';
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
import { MeteredWebClient } from './metered-client.js';
import type { SlackIdentity } from './slack-identity.js';
import { createSocketModeReceiver, type SocketModeOptions, socketModeStartError } from './socket-mode.js';

/** The only place Bolt is built: the rest of the app sees a request handler and a stop. */

/** The Slack settings the app is built from (the config's `slack` section). */
export interface SlackSettings {
  botToken: string;
  signingSecret: string | undefined;
  appToken: string | undefined;
  apiUrl: string;
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
  /** HTTP mode: what serves POST /slack/events. Undefined in Socket Mode (Bolt holds the socket). */
  requestHandler: RequestHandler | undefined;
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

/** The Web API client every Slack call of the bot goes through (each call counted when metrics are on). */
export function createSlackClient(
  settings: SlackSettings,
  logger: Logger,
  metrics: Metrics = NO_METRICS,
): WebClient {
  const options = clientOptions(settings, logger);
  if (metrics === NO_METRICS) return new WebClient(settings.botToken, options);
  return new MeteredWebClient(settings.botToken, options, metrics);
}

/**
 * Builds the Bolt app for this bot (HTTP or, with an app token, Socket Mode), registers every
 * listener and starts receiving. Events are acknowledged only once stored (src/slack/event-ack.ts).
 */
export async function startSlackApp(
  settings: SlackSettings,
  identity: SlackIdentity,
  deps: ListenerDeps,
  socketOptions: SocketModeOptions = {},
): Promise<SlackApp> {
  const { logger } = deps;
  const boltLogger = toBoltLogger(logger, LogLevel.WARN);
  const socketMode = settings.appToken !== undefined;
  const socketReceiver = socketMode
    ? createSocketModeReceiver(settings, boltLogger, socketOptions)
    : undefined;
  const receiver = socketMode ? undefined : createHttpReceiver(settings, boltLogger);
  const app = new App({
    token: settings.botToken,
    botId: identity.botId,
    botUserId: identity.botUserId,
    // auth.test already passed at start-up; Bolt need not repeat it.
    tokenVerificationEnabled: false,
    logger: boltLogger,
    clientOptions: clientOptions(settings, logger),
    receiver: receiver ?? socketReceiver,
  });
  app.error(async (error) => {
    logger.error('unhandled error in a Slack listener', { error: errorSummary(error) });
  });
  registerListeners(app, deps);
  (receiver ?? socketReceiver)?.init(measureAcks(ackEventsWhenStored(app), deps.metrics ?? NO_METRICS));
  if (!receiver) {
    await app.start().catch((error: unknown) => {
      throw socketModeStartError(error);
    });
  }
  return {
    requestHandler: receiver?.requestListener,
    socketMode,
    stop: stopOnce(app, socketMode),
  };
}

/** HTTP: Slack's requests arrive through our server at SLACK_PATH, already verified. */
function createHttpReceiver(
  settings: SlackSettings,
  boltLogger: ReturnType<typeof toBoltLogger>,
): HTTPReceiver {
  return new HTTPReceiver({
    signingSecret: settings.signingSecret ?? '',
    endpoints: SLACK_PATH,
    logger: boltLogger,
    processBeforeResponse: false,
    // src/slack/request-guard.ts has verified the signature (and the body's shape) already.
    signatureVerification: false,
  });
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
function registerListeners(boltApp: App, deps: ListenerDeps): void {
  const table = new ListenerTable();
  const app = table.asApp();
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
