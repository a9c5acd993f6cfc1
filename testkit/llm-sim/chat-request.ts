/** The parts of an OpenAI chat request that rules match on and the calls log records. */
export interface ChatRequestView {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
  messages: ChatMessage[];
  toolNames: string[];
  tools: unknown[];
  lastUserMessage: string | undefined;
  lastRole: string | undefined;
  /** Tool results at the end of the conversation: the round the model is answering now. */
  latestToolResults: Array<{ toolCallId: string | undefined; name: string | undefined; content: string }>;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_call_id?: string;
  tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }>;
}

/** Text of a message whose content is a string or an array of `{type:'text', text}` parts. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  return '';
}

export function viewChatRequest(body: Record<string, unknown>): ChatRequestView {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as ChatMessage[];
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const toolNames = tools
    .map((tool) => (tool as { function?: { name?: unknown } })?.function?.name)
    .filter((name): name is string => typeof name === 'string');
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');

  // Tool messages often omit `name`; recover it from the assistant tool call they answer.
  const toolNameById = new Map<string, string>();
  for (const message of messages) {
    for (const call of message.tool_calls ?? []) {
      if (call.id && call.function?.name) toolNameById.set(call.id, call.function.name);
    }
  }
  const latestToolResults: ChatRequestView['latestToolResults'] = [];
  for (let index = messages.length - 1; index >= 0 && messages[index].role === 'tool'; index -= 1) {
    const message = messages[index];
    latestToolResults.unshift({
      toolCallId: message.tool_call_id,
      name: message.name ?? (message.tool_call_id ? toolNameById.get(message.tool_call_id) : undefined),
      content: messageText(message.content),
    });
  }
  const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  return {
    model: typeof body.model === 'string' ? body.model : '',
    stream: body.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
    messages,
    tools,
    toolNames,
    lastUserMessage: lastUser ? messageText(lastUser.content) : undefined,
    lastRole: messages.at(-1)?.role,
    latestToolResults,
  };
}
