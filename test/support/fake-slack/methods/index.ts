import type { Method } from '../state.js';
import { chatMethods } from './chat.js';
import { conversationMethods } from './conversations.js';
import { fileMethods } from './files.js';
import { streamMethods } from './streams.js';
import { userMethods } from './users.js';
import { viewMethods } from './views.js';

/** The Web API methods the fake speaks, by name. Anything else is `unknown_method`. */
export const METHODS: Record<string, Method> = {
  ...chatMethods,
  ...streamMethods,
  ...conversationMethods,
  ...userMethods,
  ...viewMethods,
  ...fileMethods,
};
