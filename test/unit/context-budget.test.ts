import { describe, expect, it } from 'vitest';
import type { Turn } from '../../src/core/domain.js';
import { conversationTokens, estimateTokens, fitConversation } from '../../src/core/tasks/context-budget.js';

const longThread = (turns: number): Turn[] =>
  Array.from({ length: turns }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: i === 0 ? 'ORIGINAL TASK: design the warehouse' : `turn ${i} ${'details '.repeat(40)}`,
  }));

describe('fitConversation', () => {
  it('leaves a conversation within budget untouched', () => {
    const turns = longThread(6);
    expect(fitConversation(turns, 100_000)).toEqual({ turns, dropped: 0 });
  });

  it('keeps a 200-turn thread within the budget with the task, the latest solution and the newest turns', () => {
    const turns = longThread(200);
    turns.push({ role: 'user', content: 'newest question' });
    const budget = 4_000;
    const { turns: fitted, dropped } = fitConversation(turns, budget);
    expect(dropped).toBeGreaterThan(100);
    expect(conversationTokens(fitted)).toBeLessThanOrEqual(budget);
    expect(fitted[0]?.content).toContain('ORIGINAL TASK');
    expect(fitted[1]?.content).toMatch(/earlier messages of this thread are left out/);
    expect(fitted.at(-1)?.content).toBe('newest question');
    expect(fitted).toContainEqual(turns[199]); // the latest assistant answer
  });

  it('keeps the latest solution even when it is older than the newest turns that fit', () => {
    const turns: Turn[] = [
      { role: 'user', content: 'task' },
      ...longThread(40).slice(1),
      { role: 'assistant', content: 'THE LATEST SOLUTION' },
      ...Array.from({ length: 30 }, (_, i) => ({
        role: 'user' as const,
        content: `reply ${i} ${'x'.repeat(300)}`,
      })),
    ];
    const { turns: fitted } = fitConversation(turns, 2_000);
    expect(fitted.map((t) => t.content)).toContain('THE LATEST SOLUTION');
    expect(conversationTokens(fitted)).toBeLessThanOrEqual(2_000);
  });

  it('estimates above a 4-characters-per-token tokenizer', () => {
    const text = 'SELECT user_id, count(*) FROM events GROUP BY 1;\n'.repeat(100);
    expect(estimateTokens(text)).toBeGreaterThan(text.length / 4);
  });
});
