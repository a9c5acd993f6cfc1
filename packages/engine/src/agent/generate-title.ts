/**
 * Conversation titles (spec §3): ask the model for 3–6 words as JSON; fall back to the first six words of the
 * user's message, or "New Conversation". Never longer than 60 characters. A title is shown in lists, notifications,
 * Slack and webhooks, so it is redacted like the answer it sums up (a model may copy a password into it).
 */
import { generateText, type LanguageModel } from 'ai';
import { redactText } from '@skyflo/safety';
import { titlePrompt } from '../prompts/title-prompt.ts';
import { wellFormedText } from '../graph/model-output.ts';

export const maxTitleLength = 60;

export function fallbackTitle(userMessage: string): string {
  const words = userMessage.trim().split(/\s+/).filter(Boolean).slice(0, 6);
  return clampTitle(words.join(' ')) || 'New Conversation';
}

export function clampTitle(title: string): string {
  const clean = redactText(wellFormedText(title)).replace(/[\r\n\t]+/g, ' ').replace(/^["'\s]+|["'\s.]+$/g, '').trim();
  return clean.length > maxTitleLength ? `${clean.slice(0, maxTitleLength - 1).trimEnd()}…` : clean;
}

/** Reads {"title": "..."} from a reply that may wrap it in prose or a code fence. */
export function parseTitleReply(text: string): string | undefined {
  const match = text.match(/\{[\s\S]*\}/);
  if (!match) return undefined;
  try {
    const parsed = JSON.parse(match[0]) as { title?: unknown };
    return typeof parsed.title === 'string' && parsed.title.trim() ? clampTitle(parsed.title) : undefined;
  } catch {
    return undefined;
  }
}

export async function generateTitle(input: {
  model: LanguageModel | undefined;
  userMessage: string;
  assistantText: string;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<string> {
  if (!input.model) return fallbackTitle(input.userMessage);
  try {
    const signals = [AbortSignal.timeout(input.timeoutMs), ...(input.signal ? [input.signal] : [])];
    const result = await generateText({
      model: input.model,
      maxRetries: 0,
      abortSignal: AbortSignal.any(signals),
      system: titlePrompt,
      prompt: `User: ${input.userMessage.slice(0, 2000)}\n\nAssistant: ${input.assistantText.slice(0, 2000)}`,
    });
    return parseTitleReply(result.text) ?? fallbackTitle(input.userMessage);
  } catch {
    return fallbackTitle(input.userMessage);
  }
}
