import type { ChatRequestView } from '../chat-request.ts';

/** Values available to `{{name}}` placeholders in reply text and tool-call arguments. */
export function templateValues(request: ChatRequestView, sequence: number): Record<string, string> {
  const lastResult = request.latestToolResults.at(-1);
  return {
    lastUserMessage: request.lastUserMessage ?? '',
    lastToolResult: lastResult?.content ?? '',
    lastToolName: lastResult?.name ?? '',
    model: request.model,
    sequence: String(sequence),
    toolNames: request.toolNames.join(', '),
  };
}

/** Replaces known `{{name}}` placeholders; unknown ones are left as written so typos stay visible. */
export function renderTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (name in values ? values[name] : whole));
}

/** Renders placeholders in every string inside a JSON-like value. */
export function renderDeep(value: unknown, values: Record<string, string>): unknown {
  if (typeof value === 'string') return renderTemplate(value, values);
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderDeep(item, values)]));
  }
  return value;
}
