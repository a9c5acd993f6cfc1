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

/** Drops tool calls that have no result and results that have no call, keeping everything else in order. */
export function pairToolMessages(messages: ModelMessage[]): ModelMessage[] {
  const calls = new Set(messages.flatMap(callIdsOf));
  const results = new Set(messages.flatMap(resultIdsOf));
  const out: ModelMessage[] = [];
  for (const message of messages) {
    if (message.role === 'assistant' && typeof message.content !== 'string') {
      const content = message.content.filter((part) => part.type !== 'tool-call' || results.has((part as { toolCallId: string }).toolCallId));
      if (content.length === 0) continue;
      out.push({ ...message, content });
    } else if (message.role === 'tool') {
      const content = message.content.filter((part) => part.type !== 'tool-result' || calls.has((part as { toolCallId: string }).toolCallId));
      if (content.length === 0) continue;
      out.push({ ...message, content });
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
