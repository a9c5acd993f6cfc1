/**
 * A listed tool (tools/list) → the engine's ToolInfo: its toolset, tags, annotations and how it is previewed, read
 * from the `_meta` keys of the engine ↔ MCP contract (@skyflo/protocol's mcp-wire.ts), and from the `skyflo/…` names
 * older versions of our server listed.
 */
import { legacyMcpMetaKeys, mcpMetaKeys, previewToolCallName, toolsets, type ListedTool, type Toolset } from '@skyflo/protocol';
import type { ToolInfo } from '../../platform/ports/tool-gateway.ts';

function readTags(meta: Record<string, unknown> | undefined): string[] {
  const tags = meta?.['tags'] ?? meta?.[mcpMetaKeys.tags] ?? meta?.[legacyMcpMetaKeys.tags];
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

function readPreview(meta: Record<string, unknown> | undefined): ToolInfo['preview'] {
  // The preview tool's name (older servers: 'skyflo/preview') is informational; the `preview` flag is what makes
  // the preview callable over the wire, through preview_tool_call.
  const named = meta?.[mcpMetaKeys.previewTool] ?? meta?.[legacyMcpMetaKeys.previewTool] ?? meta?.['preview'];
  const tool =
    typeof named === 'string' && named.length > 0
      ? named
      : named && typeof named === 'object' && typeof (named as { tool?: unknown }).tool === 'string'
        ? (named as { tool: string }).tool
        : undefined;
  if (meta?.[mcpMetaKeys.preview] === true) return { tool: tool ?? previewToolCallName, viaPreviewToolCall: true };
  return tool ? { tool, viaPreviewToolCall: false } : undefined;
}

/** Tag = the first known toolset tag, else the name prefix (spec §3); wait_for_x_seconds belongs to k8s. */
export function toolsetOf(name: string, tags: string[]): Toolset | undefined {
  const tagged = tags.find((tag): tag is Toolset => (toolsets as readonly string[]).includes(tag));
  if (tagged) return tagged;
  const prefix = name.split('_')[0];
  if ((toolsets as readonly string[]).includes(prefix ?? '')) return prefix as Toolset;
  if (name === 'wait_for_x_seconds') return 'k8s';
  return undefined;
}

export function toToolInfo(tool: ListedTool): ToolInfo {
  const meta = tool._meta;
  const tags = readTags(meta);
  const declared = meta?.[mcpMetaKeys.toolset] ?? meta?.[legacyMcpMetaKeys.toolset];
  const toolset = toolsetOf(tool.name, typeof declared === 'string' ? [declared, ...tags] : tags);
  return {
    name: tool.name,
    title: tool.title ?? tool.annotations?.title ?? tool.name,
    description: tool.description ?? '',
    inputSchema: tool.inputSchema,
    annotations: tool.annotations,
    tags: tags.length > 0 ? tags : toolset ? [toolset] : [],
    toolset,
    preview: readPreview(meta),
  };
}
