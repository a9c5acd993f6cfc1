/**
 * The tool gateway the workflow uses when external MCP servers are configured: Skyflo's own MCP server plus theirs,
 * behind the one ToolGateway port, so the gate (tool-calls/) treats an external tool exactly like one of ours —
 * approval by the same fail-closed policy, the no-preview rule, four-eyes, audit, cancellation, and only the sealed
 * exact arguments run. What is particular to an external tool happens here:
 *   - a name with `__` is always routed to the external servers, never to ours (and none of ours has one);
 *   - nothing the engine keeps for its own server (impersonation, Jenkins credentials, data sources, trace context)
 *     is ever sent to an external one: only the tool's name and arguments;
 *   - it has no preview: `preview` answers an error, so the approval card shows the exact arguments with the
 *     no-preview warning, and approving needs "approve without a preview";
 *   - its results are untrusted: redacted (@skyflo/safety) and cut to the output budget before the model, the events
 *     or the database see them; a structured result is dropped (the engine reads structured results of its own
 *     server only: charts, preview facts).
 * The catalogue array is kept while neither ours nor the external servers' version changes, so the model's tool cache
 * (graph/model-tool-cache.ts, keyed by the array) rebuilds exactly when an external catalogue changes.
 */
import { redactText } from '@skyflo/safety';
import type { ToolCallOutcome, ToolGateway, ToolInfo } from '../../../platform/ports/tool-gateway.ts';
import type { ExternalServers } from './external-servers.ts';

/** The output budget of an external tool's result (Skyflo's own server uses the same). */
export const externalOutputBudgetBytes = 24 * 1024;

export function noPreviewText(name: string): string {
  return `No dry-run preview: ${name} is a tool of an external MCP server, which offers none. Nobody can see what it would change before it runs; review its exact arguments.`;
}

function textOf(result: { content?: unknown; structuredContent?: unknown }): string {
  const content = Array.isArray(result.content) ? result.content : [];
  const parts = content.map((part: { type?: unknown; text?: unknown }) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : `[${String(part?.type ?? 'unknown')} content not shown]`));
  if (parts.length > 0) return parts.join('\n');
  return result.structuredContent ? JSON.stringify(result.structuredContent) : '';
}

/** An external result as the model, the events and the database may see it. */
export async function untrustedResult(name: string, result: { content?: unknown; structuredContent?: unknown; isError?: boolean }): Promise<ToolCallOutcome> {
  // the MCP server's package (its budget) loads with the first external call, not at start-up
  const { applyOutputBudget } = await import('@skyflo/mcp-server');
  const text = applyOutputBudget(redactText(textOf(result)), { budgetBytes: externalOutputBudgetBytes, kind: 'text', hint: `the rest of ${name}'s answer was cut by Skyflo's output budget.` });
  return { text, isError: result.isError === true };
}

export function withExternalServers(base: ToolGateway, servers: ExternalServers): ToolGateway {
  let merged: { base: ToolInfo[]; version: number; tools: ToolInfo[] } | undefined;

  const gateway: ToolGateway = {
    async listTools(options) {
      const own = await base.listTools(options);
      const external = await servers.catalogue(new Set(own.map((tool) => tool.name)));
      const version = servers.version();
      if (merged && merged.base === own && merged.version === version) return merged.tools;
      merged = { base: own, version, tools: external.length > 0 ? [...own, ...external] : own };
      return merged.tools;
    },
    async callTool(input) {
      if (!servers.owns(input.name)) return base.callTool(input);
      // only the name and the arguments: nothing meant for our own server goes to someone else's
      const result = await servers.callTool({ name: input.name, args: input.args, ...(input.signal ? { signal: input.signal } : {}), ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}) });
      return untrustedResult(input.name, result);
    },
    async preview(input) {
      if (!servers.owns(input.name)) return base.preview(input);
      return { text: noPreviewText(input.name), isError: true };
    },
    close: () => base.close(),
  };
  return gateway;
}
