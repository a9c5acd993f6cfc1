import { toolsets, type Toolset, type ToolAnnotations, type ToolInfo } from './tool-gateway.ts';

/** The MCP SDK's listed-tool shape, reduced to what we read. */
export interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  annotations?: ToolAnnotations;
  _meta?: Record<string, unknown>;
}

function readTags(meta: Record<string, unknown> | undefined): string[] {
  // `skyflo.ai/…` is the server's prefix; `skyflo/…` is what older servers listed.
  const tags = meta?.['tags'] ?? meta?.['skyflo.ai/tags'] ?? meta?.['skyflo/tags'];
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

/** The server-side preview capability: `preview_tool_call {tool, arguments}` previews tools listed with this `_meta` flag. */
export const previewToolCallName = 'preview_tool_call';
export const previewMetaKey = 'skyflo.ai/preview';

function readPreview(meta: Record<string, unknown> | undefined): ToolInfo['preview'] {
  // 'skyflo.ai/preview-tool' (older servers: 'skyflo/preview') only names the preview tool (informational); the
  // 'skyflo.ai/preview' flag is what makes it callable over the wire.
  const named = meta?.['skyflo.ai/preview-tool'] ?? meta?.['skyflo/preview'] ?? meta?.['preview'];
  const tool =
    typeof named === 'string' && named.length > 0
      ? named
      : named && typeof named === 'object' && typeof (named as { tool?: unknown }).tool === 'string'
        ? (named as { tool: string }).tool
        : undefined;
  if (meta?.[previewMetaKey] === true) return { tool: tool ?? previewToolCallName, viaPreviewToolCall: true };
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
  const declared = meta?.['skyflo.ai/toolset'] ?? meta?.['skyflo/toolset'];
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
