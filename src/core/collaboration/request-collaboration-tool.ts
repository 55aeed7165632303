import { z } from 'zod';
import { defineTool, type ToolContext } from '../agent-tool.js';
import { COLLABORATION_ROLES } from '../domain.js';
import { type CollaborationDeps, recordCollaborationAsk } from './requests.js';

/**
 * The agent brings another discipline's owner into the thread. The bot, not the model, posts the
 * ping after the answer; the tool result tells the model whether the request was recorded.
 */
export const requestCollaborationTool = defineTool({
  name: 'request_collaboration',
  description:
    "Bring another discipline's owner into this thread when the solution truly depends on them: backend for API data contracts (payload schemas, versioning, event emission), devops for infrastructure (provisioning, networking, IAM, deployment), security for encryption and access control (PII, keys, row/column-level security), qa for data validation testing (test datasets, acceptance and regression checks). The bot pings that role's configured owner in the thread with your request; each role can be asked at most once per task (while its request is open), so put everything you need from that role into one call. Never write mentions yourself. Call it while answering, then continue the answer.",
  input: z.object({
    role: z.enum(COLLABORATION_ROLES).describe('Whose help is needed.'),
    topic: z
      .string()
      .trim()
      .min(3)
      .max(120)
      .describe('A short name for what is needed, e.g. "PII encryption for the orders mart".'),
    request: z
      .string()
      .trim()
      .min(10)
      .max(1500)
      .describe(
        'The concrete ask: what they should provide or decide, with the specifics from the solution.',
      ),
    reason: z.string().trim().min(5).max(800).describe('Why the solution depends on it, in a sentence.'),
  }),
  run: async (ask, { deps, task }: ToolContext<CollaborationDeps>) =>
    await recordCollaborationAsk(deps, task, ask),
});
