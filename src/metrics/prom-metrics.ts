import type { Registry } from 'prom-client';
import type { Usage } from '../core/domain.js';
import { errorSummary } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type {
  AckKind,
  AckOutcome,
  AnswerOutcome,
  CheckRunOutcome,
  DigestOutcome,
  Metrics,
  ModelErrorStatus,
  ModelRetryLayer,
  QueueStats,
  SlackRetryReason,
} from '../core/metrics.js';
import { AGENT_TOOLS } from '../core/tool-registry.js';

type PromClient = typeof import('prom-client');

/** What a scrape reads besides the counters: the queue, through the store. */
export interface ScrapeSources {
  queueStats(): Promise<QueueStats>;
}

const ACK_KINDS: AckKind[] = ['command', 'event', 'action', 'view', 'options', 'shortcut', 'other'];
const ACK_OUTCOMES: AckOutcome[] = ['ok', 'error'];
const MODEL_ERRORS: ModelErrorStatus[] = ['429', '529', '5xx', 'other'];
const ANSWER_OUTCOMES: AnswerOutcome[] = ['completed', 'waiting', 'failed', 'stopped'];
const CHECK_OUTCOMES: CheckRunOutcome[] = ['passed', 'failed', 'error', 'skipped'];
const DIGEST_OUTCOMES: DigestOutcome[] = ['posted', 'empty', 'unchanged', 'skipped', 'failed'];
const TOKEN_KINDS = {
  inputTokens: 'input',
  outputTokens: 'output',
  cacheReadTokens: 'cache_read',
  cacheWriteTokens: 'cache_write',
} as const;

/** Slack asks for an ack within 3 s: the buckets are finest below that. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5];
const FIRST_TOKEN_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60];
const MODEL_REQUEST_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
const START_DELAY_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];

/**
 * A label whose values come from outside a closed set (a Web API method, Slack's error code): only
 * well-formed values, and at most `limit` distinct ones; anything else is `other`. A proxy or a fake
 * answering odd codes cannot grow the series without bound.
 */
class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(
    private readonly pattern: RegExp,
    private readonly limit: number,
  ) {}

  value(raw: string): string {
    if (this.seen.has(raw)) return raw;
    if (!this.pattern.test(raw) || this.seen.size >= this.limit) return 'other';
    this.seen.add(raw);
    return raw;
  }
}

/** prom-client's metrics in one registry of their own (not the library's global one). */
function defineMetrics(client: PromClient, registry: Registry) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new client.Counter<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new client.Histogram<L>({ name, help, labelNames, buckets, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new client.Gauge<L>({ name, help, labelNames, registers });
  return {
    acks: counter(
      'deb_slack_acks_total',
      'Slack requests acknowledged (ok) or failed before their ack (error)',
      ['kind', 'outcome'],
    ),
    ackSeconds: histogram(
      'deb_slack_ack_duration_seconds',
      'Time from a Slack request reaching dispatch to its ack',
      ['kind', 'outcome'],
      ACK_BUCKETS,
    ),
    queueJobs: gauge(
      'deb_queue_jobs',
      'Jobs in the queue by state: queued (ready), running, waiting (backoff or behind the same task)',
      ['state'],
    ),
    queueLag: gauge(
      'deb_queue_oldest_ready_age_seconds',
      'How long the oldest ready job has waited to start',
      [],
    ),
    startDelay: histogram(
      'deb_queue_start_delay_seconds',
      'Time from a job being queued to its first start',
      [],
      START_DELAY_BUCKETS,
    ),
    firstToken: histogram(
      'deb_model_time_to_first_token_seconds',
      'Time from a model request to its first text token',
      ['model'],
      FIRST_TOKEN_BUCKETS,
    ),
    modelSeconds: histogram(
      'deb_model_request_duration_seconds',
      'Duration of one streamed model request (SDK retries included)',
      ['model', 'outcome'],
      MODEL_REQUEST_BUCKETS,
    ),
    tokens: counter(
      'deb_model_tokens_total',
      'Model tokens by kind (input, output, cache_read, cache_write)',
      ['model', 'kind'],
    ),
    modelErrors: counter(
      'deb_model_errors_total',
      'Failed model responses by status (429, 529 overloaded, 5xx, other)',
      ['model', 'status'],
    ),
    modelRetries: counter(
      'deb_model_retries_total',
      'Model requests retried, by the SDK (same request) or the bot (whole stream)',
      ['model', 'layer'],
    ),
    slackCalls: counter('deb_slack_api_calls_total', 'Slack Web API calls (each attempt), by method', [
      'method',
    ]),
    slackErrors: counter(
      'deb_slack_api_errors_total',
      "Slack Web API calls that failed, by method and Slack's error code",
      ['method', 'code'],
    ),
    slackRetries: counter(
      'deb_slack_api_retries_total',
      'Slack Web API calls repeated after a 429 (rate_limited) or a transient failure',
      ['method', 'reason'],
    ),
    answers: counter('deb_answers_total', 'Answers by how they ended (waiting: asked clarifying questions)', [
      'outcome',
    ]),
    toolCalls: counter('deb_tool_calls_total', "The model's tool calls, by tool", ['tool']),
    checkRuns: counter('deb_check_runs_total', 'Scheduled data-quality check runs, by outcome', ['outcome']),
    digests: counter('deb_digests_total', 'Scheduled digests by outcome (posted, or why not)', ['outcome']),
  };
}

type Defined = ReturnType<typeof defineMetrics>;

/** Series of closed label sets start at 0, so a rate or an alert has a series before the first event. */
function zeroClosedSets(m: Defined, models: readonly string[]): void {
  for (const kind of ACK_KINDS) for (const outcome of ACK_OUTCOMES) m.acks.inc({ kind, outcome }, 0);
  for (const outcome of ANSWER_OUTCOMES) m.answers.inc({ outcome }, 0);
  for (const outcome of CHECK_OUTCOMES) m.checkRuns.inc({ outcome }, 0);
  for (const outcome of DIGEST_OUTCOMES) m.digests.inc({ outcome }, 0);
  for (const model of models) {
    for (const status of MODEL_ERRORS) m.modelErrors.inc({ model, status }, 0);
    for (const kind of Object.values(TOKEN_KINDS)) m.tokens.inc({ model, kind }, 0);
  }
}

export class PromMetrics implements Metrics {
  private readonly m: Defined;
  private readonly methods = new BoundedLabel(/^[a-z][a-zA-Z0-9_.]{0,63}$/, 200);
  private readonly codes = new BoundedLabel(/^[a-z0-9_]{1,64}$/, 200);
  private readonly models: BoundedLabel;
  private readonly tools = new Set(AGENT_TOOLS.map((tool) => tool.name));

  constructor(
    client: PromClient,
    readonly registry: Registry,
    private readonly sources: ScrapeSources,
    private readonly logger: Logger,
    models: readonly string[],
  ) {
    this.m = defineMetrics(client, registry);
    // Models come from the configuration; anything else (a renamed model) still stays bounded.
    this.models = new BoundedLabel(/^[a-zA-Z0-9_.:@-]{1,100}$/, 20);
    for (const model of models) this.models.value(model);
    zeroClosedSets(this.m, models);
    // Memory, CPU, event-loop lag, GC and handles, under their standard names (process_*, nodejs_*).
    client.collectDefaultMetrics({ register: registry });
  }

  ack(kind: AckKind, outcome: AckOutcome, seconds: number): void {
    this.m.acks.inc({ kind, outcome });
    this.m.ackSeconds.observe({ kind, outcome }, seconds);
  }

  slackCall(method: string, errorCode: string | undefined): void {
    const name = this.methods.value(method);
    this.m.slackCalls.inc({ method: name });
    if (errorCode !== undefined) this.m.slackErrors.inc({ method: name, code: this.codes.value(errorCode) });
  }

  slackRetry(method: string, reason: SlackRetryReason): void {
    this.m.slackRetries.inc({ method: this.methods.value(method), reason });
  }

  modelRequest(model: string, outcome: 'ok' | 'error', seconds: number): void {
    this.m.modelSeconds.observe({ model: this.models.value(model), outcome }, seconds);
  }

  modelFirstToken(model: string, seconds: number): void {
    this.m.firstToken.observe({ model: this.models.value(model) }, seconds);
  }

  modelTokens(model: string, usage: Usage): void {
    const label = this.models.value(model);
    for (const [field, kind] of Object.entries(TOKEN_KINDS)) {
      const count = usage[field as keyof Usage];
      if (count > 0) this.m.tokens.inc({ model: label, kind }, count);
    }
  }

  modelError(model: string, status: ModelErrorStatus): void {
    this.m.modelErrors.inc({ model: this.models.value(model), status });
  }

  modelRetry(model: string, layer: ModelRetryLayer): void {
    this.m.modelRetries.inc({ model: this.models.value(model), layer });
  }

  jobStarted(delaySeconds: number): void {
    this.m.startDelay.observe(Math.max(0, delaySeconds));
  }

  answerFinished(outcome: AnswerOutcome): void {
    this.m.answers.inc({ outcome });
  }

  toolCalled(tool: string): void {
    this.m.toolCalls.inc({ tool: this.tools.has(tool) ? tool : 'unknown' });
  }

  checkRun(outcome: CheckRunOutcome): void {
    this.m.checkRuns.inc({ outcome });
  }

  digestRun(outcome: DigestOutcome): void {
    this.m.digests.inc({ outcome });
  }

  /** The Prometheus text of every metric, the queue read from the store now. */
  async scrape(): Promise<string> {
    await this.readQueue();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async readQueue(): Promise<void> {
    const { queueJobs, queueLag } = this.m;
    try {
      const stats = await this.sources.queueStats();
      queueJobs.set({ state: 'queued' }, stats.queued);
      queueJobs.set({ state: 'running' }, stats.running);
      queueJobs.set({ state: 'waiting' }, stats.waiting);
      queueLag.set(stats.oldestReadyAgeMs / 1000);
    } catch (error) {
      // No figure rather than a stale one: the series vanish from this scrape (alert on absent()).
      queueJobs.reset();
      queueLag.reset();
      this.logger.warn('could not read the queue for /metrics', { error: errorSummary(error) });
    }
  }
}

/** Loads prom-client (only when metrics are on: it costs resident memory at start-up) and builds the metrics. */
export async function createPromMetrics(
  sources: ScrapeSources,
  logger: Logger,
  models: readonly string[],
): Promise<PromMetrics> {
  const client = await import('prom-client');
  return new PromMetrics(client, new client.Registry(), sources, logger, models);
}
