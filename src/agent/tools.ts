import type { Tool } from '@anthropic-ai/sdk/resources/messages/messages';
import { z } from 'zod';

/**
 * Tools the agent may call. The bot, not the model, acts on them: it renders the questions itself,
 * so model text never decides what is posted around them. Kept in a fixed order: tools are the start
 * of the cached prompt prefix.
 */

export const ASK_CLARIFYING_QUESTIONS = 'ask_clarifying_questions';

export const clarifyingQuestionsInput = z.object({
  questions: z.array(z.string().trim().min(3).max(500)).min(1).max(5),
});

export const TOOLS: Tool[] = [
  {
    name: ASK_CLARIFYING_QUESTIONS,
    description:
      'Ask the requester a few short, specific questions before designing the solution. Use only when a missing fact would change the design fundamentally and no sensible assumption exists (for example data volumes, latency or freshness needs, the data sources, or the budget). The bot posts the numbered questions in the thread and resumes the task when someone answers. Do not write the answer in the same turn.',
    input_schema: {
      type: 'object',
      properties: {
        questions: {
          type: 'array',
          items: { type: 'string' },
          minItems: 1,
          maxItems: 5,
          description: 'One question per item, most important first, each answerable in a sentence.',
        },
      },
      required: ['questions'],
    },
  },
];
