import { afterEach, describe, expect, it } from 'vitest';
import { MentionSafeStream, neutraliseMentions } from '../../src/render/index.js';

/**
 * Counts the characters the sanitiser's string work touches (searches, slices, case changes) by wrapping
 * those String methods while it runs: a measure of work, independent of the machine's speed.
 */
type Method = 'indexOf' | 'slice' | 'substring' | 'toLowerCase' | 'toUpperCase';
const METHODS: readonly Method[] = ['indexOf', 'slice', 'substring', 'toLowerCase', 'toUpperCase'];
const originals = new Map<Method, (...args: never[]) => unknown>();

function countWork(run: () => void): number {
  let steps = 0;
  const proto = String.prototype as unknown as Record<Method, (...args: unknown[]) => unknown>;
  for (const name of METHODS) {
    const original = proto[name];
    originals.set(name, original as (...args: never[]) => unknown);
    proto[name] = function (this: string, ...args: unknown[]) {
      const result = original.apply(this, args);
      if (name === 'indexOf') {
        const from = typeof args[1] === 'number' ? Math.max(0, args[1]) : 0;
        const end = typeof result === 'number' && result >= 0 ? result : this.length;
        steps += Math.max(1, end - from);
      } else {
        steps += Math.max(1, typeof result === 'string' ? result.length : 1);
      }
      return result;
    };
  }
  try {
    run();
  } finally {
    restore();
  }
  return steps;
}

function restore(): void {
  const proto = String.prototype as unknown as Record<Method, unknown>;
  for (const [name, original] of originals) proto[name] = original;
  originals.clear();
}

afterEach(restore);

function streamAll(text: string, chunk: number): string {
  const stream = new MentionSafeStream();
  let out = '';
  for (let i = 0; i < text.length; i += chunk) out += stream.push(text.slice(i, i + chunk));
  return out + stream.flush();
}

const ONE_MB = 1024 * 1024;
const HOSTILE: Record<string, (n: number) => string> = {
  'only @': (n) => '@'.repeat(n),
  'only <!': (n) => '<!'.repeat(n / 2),
  '@ then one <': (n) => `${'@'.repeat(n - 1)}<`,
  '< then @': (n) => `${'<'.repeat(n / 2)}${'@'.repeat(n / 2)}`,
  '@<! mixed': (n) => '@<!'.repeat(Math.floor(n / 3)),
};

describe('the mention sanitiser stays linear (10.9)', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    it(`1 MB of ${name}: work is a small multiple of the input, batch and streamed`, () => {
      const text = make(ONE_MB);
      let batch = '';
      const batchSteps = countWork(() => {
        batch = neutraliseMentions(text);
      });
      let streamed = '';
      const streamSteps = countWork(() => {
        streamed = streamAll(text, 4096);
      });
      expect(streamed).toBe(batch);
      expect(batchSteps).toBeLessThan(20 * text.length);
      expect(streamSteps).toBeLessThan(20 * text.length);
    });

    it(`${name}: doubling the input (64k → 128k) at most doubles the work`, () => {
      const small = countWork(() => neutraliseMentions(make(64 * 1024)));
      const large = countWork(() => neutraliseMentions(make(128 * 1024)));
      expect(large / small).toBeLessThan(2.2);
    });
  }

  it('still neutralises mentions inside the hostile runs', () => {
    expect(neutraliseMentions(`${'@'.repeat(50)} @here <!channel>`)).toBe(
      `${'@'.repeat(50)} @\u200Bhere @\u200Bchannel`,
    );
  });
});
