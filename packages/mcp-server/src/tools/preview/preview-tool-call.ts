/**
 * preview_tool_call: the wire-level preview capability. A client (the engine's approval gate, or any MCP
 * client) names a mutating tool and the arguments it is about to send; the server validates them against
 * that tool's own schema, maps them onto its read-only preview tool (k8s_diff, helm_upgrade_diff) and
 * returns the diff. Keeping the mapping here means a remote or third-party client needs no copy of it.
 */
import { z } from 'zod';
import { toolError } from '../../errors.ts';
import type { ToolDeps } from '../deps.ts';
import { runTool, validateInput } from '../run-tool.ts';
import { defineTool, type AnyToolDefinition } from '../tool-definition.ts';

export const previewToolCallName = 'preview_tool_call';

/** The tool-listing `_meta` key that says "preview_tool_call can preview this tool". */
export const previewMetaKey = 'skyflo.ai/preview';

export function createPreviewToolCall(tools: AnyToolDefinition<ToolDeps>[]): AnyToolDefinition<ToolDeps> {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const previewable = tools.filter((tool) => tool.preview).map((tool) => tool.name);
  return defineTool({
    name: previewToolCallName,
    title: 'Preview a tool call',
    description:
      `Show what a mutating tool call would change, without changing anything: validates the arguments against that tool's schema and runs its dry-run/diff preview, returning a unified diff. Tools with a preview: ${previewable.join(', ')}.`,
    inputSchema: {
      tool: z.string().min(1).describe('Name of the mutating tool whose call to preview, e.g. k8s_scale'),
      arguments: z.record(z.string(), z.unknown()).default({}).describe('The exact arguments that would be sent to that tool'),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    async handler(input, deps: ToolDeps, context) {
      const target = byName.get(input.tool);
      if (!target) return toolError(`Unknown tool "${input.tool}".`, `name one of the tools with a preview: ${previewable.join(', ')}`, 'NOT_FOUND');
      if (!target.preview) {
        return toolError(`${input.tool} has no preview.`, `only these tools can be previewed: ${previewable.join(', ')}`, 'UNSUPPORTED');
      }
      const previewTool = byName.get(target.preview.tool);
      // The whole point of a preview is that it runs before approval, so it must never reach a tool that writes.
      if (previewTool?.annotations.readOnlyHint !== true) {
        return toolError(`${input.tool}'s preview tool "${target.preview.tool}" is not a read-only tool, so it is not run.`, 'report this to the Skyflo operator', 'UNSUPPORTED');
      }
      const parsed = validateInput(target, input.arguments);
      if (!parsed.ok) return parsed.output;
      const output = await runTool(previewTool, target.preview.mapArguments(parsed.data), deps, context);
      return { ...output, structured: { ...output.structured, tool: target.name, previewTool: previewTool.name } };
    },
  });
}
