import Anthropic from '@anthropic-ai/sdk';
import type { DigestFacts, HighlightsWriter } from '../core/digest/digest-facts.js';
import { type Metrics, NO_METRICS } from '../core/metrics.js';
import { meteredFetch } from './metered-fetch.js';

/** Fixed text, so it is the same cache-friendly prefix every day. */
const HIGHLIGHTS_PROMPT = `You write the "what happened" paragraph of a daily digest for a team's data-engineering Slack channel.
You get the titles and states of the day's tasks and the open requests to other teams.
Write two or three plain sentences: the main themes of the work, what finished, and what is blocked and on which kind of team.
Do not state counts or costs (they are shown separately), do not invent details, do not use Markdown, headings, lists, names or mentions.`;

/** The digest's optional highlights, written by the small model from stored titles and statuses. */
export class ClaudeHighlightsWriter implements HighlightsWriter {
  private readonly client: Anthropic;

  constructor(
    private readonly options: {
      apiKey: string;
      baseUrl: string | undefined;
      model: string;
      metrics?: Metrics;
    },
  ) {
    this.client = new Anthropic({
      apiKey: options.apiKey,
      ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
      // A digest must not wait long for a nicety: one retry, then it posts without highlights.
      maxRetries: 1,
      timeout: 30_000,
      logLevel: 'off',
      ...(options.metrics && options.metrics !== NO_METRICS
        ? { fetch: meteredFetch(options.model, options.metrics) }
        : {}),
    });
  }

  async write(facts: DigestFacts): Promise<string> {
    const message = await this.client.messages.create({
      model: this.options.model,
      max_tokens: 400,
      system: HIGHLIGHTS_PROMPT,
      messages: [{ role: 'user', content: describeFacts(facts) }],
    });
    const usage = message.usage;
    this.options.metrics?.modelTokens(this.options.model, {
      inputTokens: usage.input_tokens ?? 0,
      outputTokens: usage.output_tokens ?? 0,
      cacheReadTokens: usage.cache_read_input_tokens ?? 0,
      cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
    });
    return message.content
      .filter((block) => block.type === 'text')
      .map((block) => block.text)
      .join('')
      .trim();
  }
}

function describeFacts(facts: DigestFacts): string {
  const lines: string[] = [];
  const list = (label: string, titles: string[]) => {
    if (titles.length > 0) lines.push(`${label}:`, ...titles.map((t) => `- ${t}`));
  };
  list(
    'Asked',
    facts.asked.items.map((t) => t.title),
  );
  list(
    'Answered',
    facts.answered.items.map((t) => t.title),
  );
  list(
    'Failed',
    facts.failed.items.map((t) => t.title),
  );
  list(
    'Waiting for the requester to answer questions',
    facts.waiting.items.map((t) => t.title),
  );
  list(
    'Open requests to other teams',
    facts.openRequests.items.map((r) => `${r.role}: ${r.topic} (${r.status})`),
  );
  return lines.join('\n');
}
