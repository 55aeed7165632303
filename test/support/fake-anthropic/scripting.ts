import { dataEngineeringAnswer } from './canned.js';
import type { MessageReply, RecordedRequest, Reply } from './types.js';

/** The replies a test scripts: a queue used in order, one per Messages request, then the default. */

export function textReply(
  text: string,
  extra: Partial<Omit<MessageReply, 'kind' | 'content'>> = {},
): MessageReply {
  return { kind: 'message', content: [{ type: 'text', text }], ...extra };
}

const DEFAULT_REPLY: Reply = textReply(dataEngineeringAnswer());

export type DefaultReply = Reply | ((req: RecordedRequest) => Reply);

export class ReplyScript {
  private readonly queue: Reply[] = [];
  private defaultReply: DefaultReply = DEFAULT_REPLY;

  script(...replies: Reply[]): void {
    this.queue.push(...replies);
  }

  setDefault(reply: DefaultReply): void {
    this.defaultReply = reply;
  }

  /** The reply for this request: the next scripted one, or the default. */
  next(recorded: RecordedRequest): Reply {
    const reply = this.queue.shift();
    if (reply) return reply;
    return typeof this.defaultReply === 'function' ? this.defaultReply(recorded) : this.defaultReply;
  }

  reset(): void {
    this.queue.length = 0;
    this.defaultReply = DEFAULT_REPLY;
  }
}
