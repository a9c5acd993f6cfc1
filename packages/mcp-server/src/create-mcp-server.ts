/**
 * Builds an McpServer from ToolDefinitions. Read-only mode drops mutating tools from the list, and
 * runTool refuses them too, so a client that guesses a name still can't call one.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { listedAnnotations, type AnyToolDefinition } from './tools/tool-definition.ts';
import type { ToolDeps } from './tools/deps.ts';
import { allTools } from './tools/catalogue.ts';
import { isCallable, runTool } from './tools/run-tool.ts';
import { previewMetaKey, previewToolCallName } from './tools/preview/preview-tool-call.ts';
import { createPortForwards } from './port-forward/create-port-forwards.ts';

function tagsOf(definition: AnyToolDefinition<ToolDeps>): string[] {
  return [...(definition.toolset ? [definition.toolset] : []), ...(definition.tags ?? [])];
}

/** The parts of the SDK's request context we use (cancellation and progress notifications). */
interface RequestExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (notification: { method: 'notifications/progress'; params: { progressToken: string | number; progress: number; total?: number; message?: string } }) => Promise<void>;
}

export interface CreateMcpServerOptions {
  deps: ToolDeps;
  /** overrides deps.settings.readOnly when given */
  readOnly?: boolean;
  /** defaults to the full catalogue */
  tools?: AnyToolDefinition<ToolDeps>[];
}

export const SERVER_INFO = { name: 'skyflo-mcp', version: '0.1.0' } as const;

export function createMcpServer(options: CreateMcpServerOptions): McpServer {
  const readOnly = options.readOnly ?? options.deps.settings.readOnly;
  // Forwards belong to whoever made the registry: one made here lives and dies with this server.
  const ownPortForwards = options.deps.portForwards ? undefined : createPortForwards({ runner: options.deps.runner });
  const deps: ToolDeps = { ...options.deps, settings: { ...options.deps.settings, readOnly }, portForwards: options.deps.portForwards ?? ownPortForwards };
  const server = new McpServer(SERVER_INFO, { capabilities: { tools: {} } });
  if (ownPortForwards) server.server.onclose = () => ownPortForwards.closeAll();
  const tools = options.tools ?? allTools;
  const canPreview = tools.some((definition) => definition.name === previewToolCallName);
  for (const definition of tools) {
    if (!isCallable(definition, readOnly)) continue;
    server.registerTool(
      definition.name,
      {
        title: definition.title,
        description: definition.description,
        inputSchema: definition.inputSchema,
        annotations: { title: definition.title, ...listedAnnotations(definition.annotations) },
        _meta: {
          ...(definition.toolset ? { 'skyflo/toolset': definition.toolset } : {}),
          'skyflo/tags': tagsOf(definition),
          // 'skyflo/preview' names the preview tool for people reading the listing; clients preview through
          // preview_tool_call, which maps the arguments server-side, so they need no copy of the mapping.
          ...(definition.preview ? { 'skyflo/preview': definition.preview.tool, ...(canPreview ? { [previewMetaKey]: true } : {}) } : {}),
        },
      },
      async (input: unknown, extra: RequestExtra) => {
        const progressToken = extra._meta?.progressToken;
        const reportProgress =
          progressToken === undefined
            ? undefined
            : (progress: number, total?: number, message?: string) =>
                extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) } });
        const output = await runTool(definition, input, deps, { signal: extra.signal, reportProgress });
        return {
          content: [{ type: 'text' as const, text: output.text }],
          ...(output.isError ? { isError: true } : {}),
          ...(output.structured ? { _meta: { 'skyflo/structured': output.structured } } : {}),
        };
      },
    );
  }
  return server;
}

export interface CatalogueEntry {
  name: string;
  title: string;
  description: string;
  annotations: AnyToolDefinition['annotations'];
  /** absent for toolset-neutral tools (preview_tool_call) */
  toolset?: AnyToolDefinition['toolset'];
  tags: string[];
  /** the read-only tool that previews this one, if any */
  preview?: string;
  inputSchema: Record<string, unknown>;
}

/** The catalogue as the engine sees it (JSON schemas, annotations, tags), honouring read-only mode. */
export function listToolCatalogue(options: { readOnly?: boolean; tools?: AnyToolDefinition<ToolDeps>[] } = {}): CatalogueEntry[] {
  return (options.tools ?? allTools)
    .filter((definition) => isCallable(definition, options.readOnly ?? false))
    .map((definition) => ({
      name: definition.name,
      title: definition.title,
      description: definition.description,
      annotations: listedAnnotations(definition.annotations),
      ...(definition.toolset ? { toolset: definition.toolset } : {}),
      tags: tagsOf(definition),
      ...(definition.preview ? { preview: definition.preview.tool } : {}),
      inputSchema: z.toJSONSchema(z.object(definition.inputSchema), { io: 'input' }) as Record<string, unknown>,
    }));
}
