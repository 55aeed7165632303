import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import { type Metrics, NO_METRICS, type QueueStats } from '../core/metrics.js';
import { StartupError } from '../slack/slack-identity.js';
import { startMetricsServer } from './metrics-server.js';

export interface MetricsListener {
  /** Base URL of the metrics listener (GET /metrics). */
  url: string;
  close(): Promise<void>;
}

export interface StartedMetrics {
  /** Where the app reports what it counts: NO_METRICS when METRICS_PORT is unset. */
  report: Metrics;
  /** Opens the metrics listener, reading the queue through `queueStats` on each scrape (none when off). */
  listen(queueStats: () => Promise<QueueStats>): Promise<MetricsListener | undefined>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Metrics on (METRICS_PORT set): prom-client is loaded now, and only then (it costs resident memory
 * at start-up). Off: NO_METRICS, nothing loaded, no listener.
 */
export async function startMetrics(config: Config, logger: Logger): Promise<StartedMetrics> {
  const settings = config.metrics;
  if (!settings) return { report: NO_METRICS, listen: async () => undefined };
  const log = logger.child({ component: 'metrics' });
  let readQueue: (() => Promise<QueueStats>) | undefined;
  const { createPromMetrics } = await import('./prom-metrics.js');
  const prom = await createPromMetrics(
    { queueStats: () => (readQueue ? readQueue() : Promise.reject(new Error('the queue is not open yet'))) },
    log,
    [config.anthropic.model, config.anthropic.smallModel],
  );
  return {
    report: prom,
    async listen(queueStats) {
      readQueue = queueStats;
      const listener = await startMetricsServer(settings, prom, log).catch((error: unknown) => {
        const code = (error as { code?: string }).code ?? 'error';
        throw new StartupError(
          `The metrics listener could not open ${settings.host}:${settings.port} (${code}). Choose a free METRICS_PORT (and a METRICS_HOST of this machine), or unset METRICS_PORT.`,
        );
      });
      log.info('metrics listening', { url: `${listener.url}/metrics`, token: settings.token !== undefined });
      if (!LOOPBACK.test(settings.host) && settings.token === undefined) {
        log.warn(
          'the metrics listener is reachable from other hosts without a token: set METRICS_TOKEN, or keep METRICS_PORT off the internet',
        );
      }
      return { url: listener.url, close: listener.close };
    },
  };
}
