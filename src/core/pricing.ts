import type { Usage } from './domain.js';

/**
 * USD per million tokens, from Anthropic's published prices (see README "Costs"). Cache reads are a
 * fraction of the input price; 5-minute cache writes cost 1.25× input. Unknown models cost 0 and the
 * digest says "unknown price" rather than guess.
 */
interface Price {
  input: number;
  output: number;
  cacheRead: number;
}

const PRICES: Record<string, Price> = {
  'claude-opus-5-5': { input: 4, output: 20, cacheRead: 0.2 },
  'claude-sonnet-5-5': { input: 2, output: 10, cacheRead: 0.1 },
  'claude-haiku-5-5': { input: 0.1, output: 0.5, cacheRead: 0.01 },
};

export function hasKnownPrice(model: string): boolean {
  return model in PRICES;
}

export function estimateCostUsd(model: string, usage: Usage): number {
  const price = PRICES[model];
  if (!price) return 0;
  const cost =
    usage.inputTokens * price.input +
    usage.cacheWriteTokens * price.input * 1.25 +
    usage.cacheReadTokens * price.cacheRead +
    usage.outputTokens * price.output;
  return cost / 1_000_000;
}
