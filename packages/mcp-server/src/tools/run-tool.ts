/**
 * The one path every tool call takes, whether it arrives over MCP or from the engine in-process:
 * read-only gate → input validation → handler → error mapping → redaction → output budget (then any
 * `verbatim` fields, which are the caller's own arguments echoed back).
 * Doing redaction and budgets here (not in each tool) is what makes them complete.
 */
import { ToolInputError, toolError, toolErrorFrom } from '../contract/errors.ts';
import { redactObject, redactText } from '@skyflo/safety';
import { applyOutputBudget } from '../budgets/apply-output-budget.ts';
import { budgetStructured } from '../budgets/budget-structured.ts';
import { toToolInputError } from '../kube/kube-api-error.ts';
import type { AnyToolDefinition, ToolCallContext, ToolOutput } from '../contract/tool-definition.ts';
import type { ToolDeps } from '../deps/deps.ts';
import { schemaObject } from './schema-objects.ts';

export function isCallable(definition: AnyToolDefinition<ToolDeps>, readOnly: boolean): boolean {
  // Fails closed: only an explicit readOnlyHint === true survives read-only mode.
  return !readOnly || definition.annotations.readOnlyHint === true;
}

/** Checks arguments against a tool's schema; a failure is the isError result the caller returns as is. */
export function validateInput(
  definition: AnyToolDefinition<ToolDeps>,
  rawInput: unknown,
): { ok: true; data: Record<string, unknown> } | { ok: false; output: ToolOutput } {
  const parsed = schemaObject(definition.inputSchema).safeParse(rawInput ?? {});
  if (parsed.success) return { ok: true, data: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`).join('; ');
  return { ok: false, output: toolError(`Invalid arguments for ${definition.name}: ${problems}.`, 'fix the arguments to match the tool schema', 'INVALID_INPUT') };
}

export async function runTool(
  definition: AnyToolDefinition<ToolDeps>,
  rawInput: unknown,
  deps: ToolDeps,
  context: ToolCallContext,
): Promise<ToolOutput> {
  if (!isCallable(definition, deps.settings.readOnly)) {
    return toolError(
      `${definition.name} changes the cluster and this MCP server runs in read-only mode.`,
      'use a read-only tool (k8s_get, k8s_describe, k8s_diff …) or ask an operator to run the server without --read-only',
      'READ_ONLY',
    );
  }
  const parsed = validateInput(definition, rawInput);
  if (!parsed.ok) return parsed.output;
  let output: ToolOutput;
  try {
    output = await definition.handler(parsed.data, deps, context);
  } catch (error) {
    if (error instanceof ToolInputError) output = toolErrorFrom(error);
    else {
      const mapped = toToolInputError(error, { action: `run ${definition.name}` });
      output = mapped
        ? toolErrorFrom(mapped)
        : toolError(`${definition.name} failed unexpectedly: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}.`, 'retry; if it fails again report it to the Skyflo operator', 'FAILED');
    }
  }
  const text = applyOutputBudget(redactText(output.text), {
    budgetBytes: deps.settings.outputBudgetBytes,
    kind: definition.tags?.includes('logs') ? 'log' : 'text',
    hint: 'narrow the request (name, namespace, label_selector, num_lines) to see the rest.',
  });
  // Every failure carries a machine-readable error, even from a handler that returned only text.
  const structured = output.isError && !output.structured?.['error'] ? { ...output.structured, error: { code: 'FAILED', message: output.text.split('\n')[0] } } : output.structured;
  const { verbatim, ...rest } = output;
  const safe = structured ? budgetStructured(redactObject(structured), deps.settings.outputBudgetBytes) : undefined;
  const merged = verbatim && !output.isError ? { ...safe, ...verbatim } : safe;
  return { ...rest, text, ...(merged ? { structured: merged } : {}) };
}
