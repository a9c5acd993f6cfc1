/**
 * The agent contract of k8s-ai-bench (and kubectl-ai's flags it copies): the runner calls
 *   <agent> --kubeconfig K --llm-provider P --enable-tool-use-shim=B --quiet=B --model M --trace-path F
 *           --skip-permissions --show-tool-output [--mcp-client]
 * with the prompt on stdin, reads `Running: …` lines and matches its expectations against the text after the
 * last one. Go's flag package writes booleans as `--flag=true`; node:util parseArgs does not accept that, so
 * those are rewritten first.
 */
import { ChatError } from './chat-error.ts';

/** Boolean flags the runner may write as `--flag=true|false`. */
export const benchmarkBooleanFlags = ['quiet', 'skip-permissions', 'show-tool-output', 'enable-tool-use-shim', 'mcp-client', 'approve-all', 'json'] as const;

/** `--quiet=true` → `--quiet`, `--quiet=false` → (dropped); everything else unchanged. */
export function normalizeGoBooleans(argv: string[]): string[] {
  const out: string[] = [];
  for (const argument of argv) {
    const match = /^--?([a-z-]+)=(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.exec(argument);
    if (match && (benchmarkBooleanFlags as readonly string[]).includes(match[1]!)) {
      if (/^(true|1|t)$/i.test(match[2]!)) out.push(`--${match[1]}`);
      continue;
    }
    out.push(argument);
  }
  return out;
}

/** k8s-ai-bench / kubectl-ai provider names → the engine's LLM_MODEL provider prefixes. */
const providerAliases: Record<string, string> = {
  gemini: 'google',
  azopenai: 'azure',
  llamacpp: 'openai-compatible',
};
const unsupported: Record<string, string> = {
  vertexai: 'Vertex AI is not wired into Skyflo yet; use --llm-provider gemini with GEMINI_API_KEY',
  grok: 'xAI Grok is not wired into Skyflo yet; use an OpenAI-compatible endpoint (--llm-provider openai-compatible with LLM_HOST)',
};

/**
 * LLM_MODEL for the embedded engine from --llm-provider/--model: `gemini` + `gemini-2.5-pro` →
 * `google/gemini-2.5-pro`; a --model that already says `provider/model` is used as is.
 */
export function llmModelFrom(input: { provider?: string; model?: string }): string | undefined {
  const provider = input.provider?.trim().toLowerCase();
  const model = input.model?.trim();
  if (provider && unsupported[provider]) throw new ChatError('INVALID_OPTIONS', `--llm-provider ${provider}: ${unsupported[provider]}.`);
  if (!model) {
    if (provider) throw new ChatError('INVALID_OPTIONS', `--llm-provider ${provider} needs --model (e.g. --model gpt-4o).`);
    return undefined;
  }
  if (!provider) {
    if (!model.includes('/')) throw new ChatError('INVALID_OPTIONS', `--model "${model}" needs a provider: pass --llm-provider too, or write it as provider/model (e.g. openai/${model}).`);
    return model;
  }
  return `${providerAliases[provider] ?? provider}/${model}`;
}
