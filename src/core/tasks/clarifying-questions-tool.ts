import { z } from 'zod';
import { defineTool } from '../agent-tool.js';
import { questionsText } from '../messages.js';

/**
 * The agent asks before designing. The turn ends there: the bot renders the numbered questions itself
 * (model text never decides what is posted around them) and the task waits for a reply in the thread.
 */
export const askClarifyingQuestionsTool = defineTool({
  name: 'ask_clarifying_questions',
  description:
    'Ask the requester a few short, specific questions before designing the solution. Use only when a missing fact would change the design fundamentally and no sensible assumption exists (for example data volumes, latency or freshness needs, the data sources, or the budget). The bot posts the numbered questions in the thread and resumes the task when someone answers. Do not write the answer in the same turn.',
  input: z.object({
    questions: z
      .array(z.string().trim().min(3).max(500))
      .min(1)
      .max(5)
      .describe('One question per item, most important first, each answerable in a sentence.'),
  }),
  endsTurn: true,
  run: ({ questions }) => questionsText(questions),
});
