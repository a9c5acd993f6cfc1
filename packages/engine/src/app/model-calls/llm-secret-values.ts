import type { LlmConfig } from '../../platform/config/llm.ts';

/** Every credential value in the LLM config, for scrubbing them out of anything shown to users. */
export function llmSecretValues(config: LlmConfig): string[] {
  const aws = config.aws;
  return [
    ...Object.values(config.apiKeys).map((secret) => secret?.value),
    aws.accessKeyId?.value,
    aws.secretAccessKey?.value,
    aws.sessionToken?.value,
    aws.bearerToken?.value,
  ].filter((value): value is string => typeof value === 'string' && value.length > 0);
}
