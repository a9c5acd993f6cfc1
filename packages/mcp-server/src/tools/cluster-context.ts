/**
 * The `context` argument of every Kubernetes, Helm and Argo tool (issue 22). Added here, once, rather than in each
 * tool's file: the wrapper adds the field to the schema, runs the handler (and resolve, describeCall and the preview
 * mapping) with deps for exactly that cluster, and names the cluster when it cannot be reached.
 * Before this, a `context` sent by the model was an unknown field, dropped silently, and the call ran on the current
 * context: a scale meant for cluster beta scaled alpha.
 */
import { z } from 'zod';
import { ToolInputError } from '../contract/errors.ts';
import { toToolInputError } from '../kube/kube-api-error.ts';
import { clusterNameOf, clusterRegistryOf, depsForContext } from '../kube/context-deps.ts';
import type { ToolDeps } from '../deps/deps.ts';
import type { AnyToolDefinition, ToolOutput } from '../contract/tool-definition.ts';

export const contextField = z
  .string()
  .min(1)
  .optional()
  .describe('The cluster to act on: its name (a kubeconfig context) as the Skyflo engine lists it. Omitted: the conversation\'s cluster. An unknown name is an error; the call never runs on another cluster.');

type Input = Record<string, unknown>;

function split(input: Input): [string | undefined, Input] {
  const { context, ...rest } = input;
  return [typeof context === 'string' ? context : undefined, rest];
}

/** A connection failure (not an answer from the API server): these must say which cluster could not be reached. */
const unreachable = /unreachable|connection refused|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|Unable to connect|no such host|i\/o timeout|dial tcp/i;

function clusterLabel(deps: ToolDeps): string {
  const name = clusterNameOf(deps);
  try {
    const server = clusterRegistryOf(deps).entry(name).server;
    return `Cluster "${name}"${server ? ` (${server})` : ''}`;
  } catch {
    return `Cluster "${name}"`;
  }
}

function namedError(error: unknown, deps: ToolDeps, action: string): unknown {
  const mapped = error instanceof ToolInputError ? error : toToolInputError(error, { action });
  if (!mapped || !unreachable.test(mapped.message)) return error;
  return new ToolInputError(`${clusterLabel(deps)}: ${mapped.message}`, { ...(mapped.hint ? { hint: mapped.hint } : {}), code: mapped.code });
}

function namedOutput(output: ToolOutput, deps: ToolDeps): ToolOutput {
  if (!output.isError || !unreachable.test(output.text)) return output;
  const label = clusterLabel(deps);
  const error = output.structured?.['error'] as { message?: string } | undefined;
  return {
    ...output,
    text: `${label}: ${output.text}`,
    ...(output.structured ? { structured: { ...output.structured, ...(error ? { error: { ...error, message: `${label}: ${error.message ?? ''}` } } : {}) } } : {}),
  };
}

/** The tool with an optional `context`; a tool that already declares one is returned as is. */
export function withClusterContext(tool: AnyToolDefinition<ToolDeps>): AnyToolDefinition<ToolDeps> {
  if ('context' in tool.inputSchema) return tool;
  const { resolve, describeCall, preview, handler } = tool;
  return {
    ...tool,
    inputSchema: { ...tool.inputSchema, context: contextField },
    ...(preview
      ? {
          preview: {
            tool: preview.tool,
            // the preview tool has `context` too, so a preview of a call for cluster B is rendered against B
            mapArguments: (input: Input) => {
              const [context, rest] = split(input);
              return { ...preview.mapArguments(rest), ...(context !== undefined ? { context } : {}) };
            },
          },
        }
      : {}),
    ...(resolve
      ? {
          resolve: async (input: Input, deps: ToolDeps, callContext) => {
            const [context, rest] = split(input);
            const callDeps = depsForContext(deps, context);
            try {
              return await resolve(rest, callDeps, callContext);
            } catch (error) {
              throw namedError(error, callDeps, `resolve ${tool.name}`);
            }
          },
        }
      : {}),
    ...(describeCall
      ? {
          describeCall: async (input: Input, deps: ToolDeps, callContext) => {
            const [context, rest] = split(input);
            const callDeps = depsForContext(deps, context);
            try {
              return await describeCall(rest, callDeps, callContext);
            } catch (error) {
              throw namedError(error, callDeps, `preview ${tool.name}`);
            }
          },
        }
      : {}),
    handler: async (input: Input, deps: ToolDeps, callContext) => {
      const [context, rest] = split(input);
      const callDeps = depsForContext(deps, context);
      try {
        return namedOutput(await handler(rest, callDeps, callContext), callDeps);
      } catch (error) {
        throw namedError(error, callDeps, `run ${tool.name}`);
      }
    },
  };
}
