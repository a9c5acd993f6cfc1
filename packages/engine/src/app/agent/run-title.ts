/**
 * A chat run names its conversation when it has no title (run-agent.ts asks): from the first answer text as soon as
 * it streams, in parallel with the rest of the run; otherwise at the end, from the final messages or the user's words.
 */
import type { ModelMessage } from 'ai';
import type { CompletedStatus } from '@skyflo/protocol';
import { fallbackTitle, generateTitle } from './generate-title.ts';
import type { RunAgentWith, RunInput } from './run-agent-types.ts';

function assistantTextOf(messages: ModelMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]!;
    if (message.role !== 'assistant') continue;
    if (typeof message.content === 'string') return message.content;
    const text = message.content.filter((part) => part.type === 'text').map((part) => (part as { text: string }).text).join('');
    if (text) return text;
  }
  return '';
}

/** One run's title; `signal`: the run's (a stop aborts the model's title request, and generateTitle falls back). */
export function createRunTitle(deps: Pick<RunAgentWith, 'config' | 'llm'>, input: Pick<RunInput, 'wantsTitle' | 'userMessage'>, signal: AbortSignal) {
  /** the run names its conversation: a chat whose conversation has no title, with title generation on */
  const wanted = input.wantsTitle && deps.config.titleGeneration && input.userMessage !== undefined;
  let asked: Promise<string | undefined> | undefined;
  const ask = (assistantText: string) =>
    generateTitle({ model: deps.llm.model, userMessage: input.userMessage!, assistantText, timeoutMs: deps.config.titleTimeoutMs, signal }).catch(
      () => undefined,
    );
  return {
    wanted,
    /** The title is asked for as soon as the first answer text exists (the first `generation.complete`). */
    askFromAnswer(content: string | undefined): void {
      if (!asked && content) asked = ask(content);
    },
    /** The title to set at the run's end (undefined: none), not awaited here: the run awaits it where it always did. */
    atEnd(status: CompletedStatus, finalMessages: ModelMessage[] | undefined): Promise<string | undefined> | undefined {
      let pending = asked;
      // No answer text streamed (e.g. the first turn only called tools): name it from the user's message now.
      if (!pending && wanted && status === 'completed') pending = ask(assistantTextOf(finalMessages ?? []));
      // Stopped or failed before its first answer (issue 37): no model call, the first words of the user's message, so
      // the conversation is not left as "New conversation" in the history and search.
      else if (!pending && wanted) pending = Promise.resolve(fallbackTitle(input.userMessage!));
      return pending;
    },
  };
}
