/**
 * Context trimming: at most `limit` messages go to the model, always including the first user message,
 * and never a tool result without its call or a call without its result (providers reject both).
 */
import type { ModelMessage } from 'ai';

function callIdsOf(message: ModelMessage): string[] {
  if (message.role !== 'assistant' || typeof message.content === 'string') return [];
  return message.content.filter((part) => part.type === 'tool-call').map((part) => (part as { toolCallId: string }).toolCallId);
}

function resultIdsOf(message: ModelMessage): string[] {
  if (message.role !== 'tool') return [];
  return message.content.filter((part) => part.type === 'tool-result').map((part) => (part as { toolCallId: string }).toolCallId);
}

/**
 * Drops tool calls that have no result and results that have no call, and moves every result right after the
 * assistant message that made the call (providers require that order; a run resumed after a crash could have
 * appended a user message in between).
 */
export function pairToolMessages(messages: ModelMessage[]): ModelMessage[] {
  const calls = new Set(messages.flatMap(callIdsOf));
  const resultsByCall = new Map<string, unknown>();
  for (const message of messages) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      const id = (part as { toolCallId?: string }).toolCallId;
      if (part.type === 'tool-result' && id && calls.has(id) && !resultsByCall.has(id)) resultsByCall.set(id, part);
    }
  }
  const out: ModelMessage[] = [];
  for (const message of messages) {
    if (message.role === 'tool') continue; // re-emitted after their call below
    if (message.role === 'assistant' && typeof message.content !== 'string') {
      const content = message.content.filter((part) => part.type !== 'tool-call' || resultsByCall.has((part as { toolCallId: string }).toolCallId));
      if (content.length === 0) continue;
      out.push({ ...message, content });
      const results = content
        .filter((part) => part.type === 'tool-call')
        .map((part) => resultsByCall.get((part as { toolCallId: string }).toolCallId));
      for (const result of results) out.push({ role: 'tool', content: [result] } as ModelMessage);
    } else {
      out.push(message);
    }
  }
  return out;
}

export function trimContext(messages: ModelMessage[], limit: number): ModelMessage[] {
  const system = messages.filter((message) => message.role === 'system');
  const rest = messages.filter((message) => message.role !== 'system');
  const firstUser = rest.find((message) => message.role === 'user');
  const budget = Math.max(1, limit - system.length - (firstUser ? 1 : 0));
  let start = Math.max(0, rest.length - budget);
  // The window must not start inside a tool exchange: widen it back to the assistant message holding the calls,
  // so recent tool evidence is kept whole (the limit is exceeded by at most that one exchange).
  while (start > 0 && rest[start]?.role === 'tool') start -= 1;
  const tail = rest.slice(start);
  const head = firstUser && !tail.includes(firstUser) ? [firstUser] : [];
  return pairToolMessages([...system, ...head, ...tail]);
}
