import type { Tool } from '@anthropic-ai/sdk/resources/messages/messages';
import { z } from 'zod';
import { COLLABORATION_ROLES } from '../core/domain.js';

/**
 * Tools the agent may call. The bot, not the model, acts on them: it renders the questions itself,
 * so model text never decides what is posted around them. Kept in a fixed order: tools are the start
 * of the cached prompt prefix.
 */

export const ASK_CLARIFYING_QUESTIONS = 'ask_clarifying_questions';

export const clarifyingQuestionsInput = z.object({
  questions: z.array(z.string().trim().min(3).max(500)).min(1).max(5),
});

export const REQUEST_COLLABORATION = 'request_collaboration';

export const collaborationInput = z.object({
  role: z.enum(COLLABORATION_ROLES),
  topic: z.string().trim().min(3).max(120),
  request: z.string().trim().min(10).max(1500),
  reason: z.string().trim().min(5).max(800),
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
  {
    name: REQUEST_COLLABORATION,
    description:
      "Bring another discipline's owner into this thread when the solution truly depends on them: backend for API data contracts (payload schemas, versioning, event emission), devops for infrastructure (provisioning, networking, IAM, deployment), security for encryption and access control (PII, keys, row/column-level security), qa for data validation testing (test datasets, acceptance and regression checks). The bot pings that role's configured owner in the thread with your request; each role can be asked at most once per task (while its request is open), so put everything you need from that role into one call. Never write mentions yourself. Call it while answering, then continue the answer.",
    input_schema: {
      type: 'object',
      properties: {
        role: { type: 'string', enum: [...COLLABORATION_ROLES], description: 'Whose help is needed.' },
        topic: {
          type: 'string',
          description: 'A short name for what is needed, e.g. "PII encryption for the orders mart".',
        },
        request: {
          type: 'string',
          description:
            'The concrete ask: what they should provide or decide, with the specifics from the solution.',
        },
        reason: { type: 'string', description: 'Why the solution depends on it, in a sentence.' },
      },
      required: ['role', 'topic', 'request', 'reason'],
    },
  },
];
