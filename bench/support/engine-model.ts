/**
 * The engine's model in the stream benches: the one a user's LLM_MODEL=openai-compatible/… builds (createLanguageModel,
 * with the LLM_TIMEOUT_MS idle watch on every chunk of the answer), not a bare provider, so the engine measured is
 * the engine run. The baselines beside it keep the AI SDK's provider as it comes.
 */
import { createLanguageModel, llmConfigSchema } from '@skyflo/engine/testing';

export async function engineModelFor(simUrl: string) {
  const selection = await createLanguageModel(llmConfigSchema.parse({ LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: simUrl }));
  if (!selection.model) throw new Error(`the engine's model: ${selection.problem}`);
  return selection.model;
}
