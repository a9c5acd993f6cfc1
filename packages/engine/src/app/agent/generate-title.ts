/**
 * Conversation titles (spec §3): ask the model for 3–6 words as JSON; fall back to the first six words of the
 * user's message, or "New Conversation". Never longer than 60 characters. A title is shown in lists, notifications,
 * Slack and webhooks, so it is redacted like the answer it sums up (a model may copy a password into it).
 */
import { generateText, type LanguageModel } from 'ai';
import { convertToLanguageModelPrompt, prepareCallSettings } from 'ai/internal';
import { redactText } from '@skyflo/safety';
import { titlePrompt } from '../../domain/prompts/title-prompt.ts';
import { wellFormedText } from '../graph/model-output.ts';
import { validatedPrompt } from '../graph/model-stream.ts';
import type { LanguageModelV3 } from '../../platform/ports/agent-model.ts';

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
    const prompt = `User: ${input.userMessage.slice(0, 2000)}\n\nAssistant: ${input.assistantText.slice(0, 2000)}`;
    const text = await titleReply(input.model, prompt, AbortSignal.any(signals));
    return parseTitleReply(text) ?? fallbackTitle(input.userMessage);
  } catch {
    return fallbackTitle(input.userMessage);
  }
}

/**
 * The model's reply to the title prompt: one call of the provider's `doGenerate()`, as generateText makes it with
 * maxRetries 0, without generateText's own machinery (issue 79: on the shipped build's run start, generateText's
 * standardizePrompt — a zod schema of every message kind built and parsed asynchronously per call — was most of the
 * title's CPU, for a prompt that is always one system string and one user string). The prompt is still checked the
 * SDK's way (validatedPrompt, as the agent's own model calls: graph/model-stream.ts) and converted by the SDK; the
 * text is the reply's text parts, as generateText's `text`. A model that is not a v3 provider object (the agent's own
 * calls need one) still goes through generateText.
 */
async function titleReply(model: LanguageModel, prompt: string, abortSignal: AbortSignal): Promise<string> {
  if (typeof model !== 'object' || model.specificationVersion !== 'v3') {
    return (await generateText({ model, maxRetries: 0, abortSignal, system: titlePrompt, prompt })).text;
  }
  const v3 = model as LanguageModelV3;
  const standardized = validatedPrompt(titlePrompt, [{ role: 'user', content: prompt }]);
  const converted = await convertToLanguageModelPrompt({ prompt: standardized, supportedUrls: await v3.supportedUrls, download: undefined, abortSignal });
  const result = await v3.doGenerate({ ...prepareCallSettings({}), prompt: converted, abortSignal });
  return result.content
    .filter((part) => part.type === 'text')
    .map((part) => (part as { text: string }).text)
    .join('');
}
