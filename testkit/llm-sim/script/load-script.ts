import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { llmScriptSchema, type LlmScript, type ParsedLlmScript } from './script-schema.ts';

/** Thrown for a script that cannot be read or does not validate; the message lists every problem. */
export class LlmScriptError extends Error {
  readonly code = 'LLM_SIM_INVALID_SCRIPT';
}

/** `rules[2].reply` style path, matching how a user reads their YAML. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? '(root)' : text;
}

export function formatZodIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join('\n');
}

/** Validates a script object, or reads a YAML/JSON file when given a path. */
export function loadLlmScript(script: LlmScript | string | undefined, source = 'script'): ParsedLlmScript {
  if (typeof script === 'string') {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(script, 'utf8'));
    } catch (error) {
      throw new LlmScriptError(`Cannot read llm-sim script ${script}: ${(error as Error).message}`);
    }
    return loadLlmScript((raw ?? {}) as LlmScript, script);
  }
  const result = llmScriptSchema.safeParse(script ?? {});
  if (!result.success) {
    throw new LlmScriptError(`Invalid llm-sim ${source}:\n${formatZodIssues(result.error)}`);
  }
  return result.data;
}
