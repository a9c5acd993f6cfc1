/**
 * Which tools the model sees this turn (spec §3): read-only Kubernetes tools plus load_toolset by default;
 * a loaded toolset adds its read-only tools, and its write tools when loaded with include_write_tools.
 * Jenkins stays hidden until an integration is configured. Fewer tools = a smaller prompt every turn.
 */
import { jsonSchema, type Tool } from 'ai';
import { isJenkinsTool, stripJenkinsSchema } from '../mcp/jenkins-args.ts';
import { toolsets, type ToolInfo } from '../mcp/tool-gateway.ts';

export const loadToolsetName = 'load_toolset';

export const loadToolsetSchema = {
  type: 'object',
  properties: {
    toolset: { type: 'string', enum: [...toolsets], description: 'Toolset to load: k8s, helm, argo (Argo Rollouts) or jenkins.' },
    include_write_tools: { type: 'boolean', description: 'Also load the tools that change state (each call still needs human approval).' },
  },
  required: ['toolset', 'include_write_tools'],
  additionalProperties: false,
} as const;

export const loadToolsetDescription =
  'Load more tools for your next turn. Kubernetes read-only tools are always available; load helm, argo or jenkins, or k8s with include_write_tools=true to change cluster state.';

export function exposeTools(catalogue: ToolInfo[], loaded: Record<string, boolean>, options: { jenkinsAvailable: boolean }): ToolInfo[] {
  return catalogue.filter((tool) => {
    if (!tool.toolset) return false;
    // the engine's own view of the clusters (GET /clusters, the prompt names them); not a tool for the model
    if (tool.name === 'list_clusters') return false;
    if (tool.toolset === 'jenkins' && !options.jenkinsAvailable) return false;
    const readOnly = tool.annotations?.readOnlyHint === true;
    if (tool.toolset === 'k8s' && readOnly) return true;
    if (!(tool.toolset in loaded)) return false;
    return readOnly || loaded[tool.toolset] === true;
  });
}

/** The tool set for streamText: schemas only, no `execute` (the gate executes, after approval). */
export function toModelTools(exposed: ToolInfo[]): Record<string, Tool> {
  const tools: Record<string, Tool> = {
    [loadToolsetName]: { description: loadToolsetDescription, inputSchema: jsonSchema(loadToolsetSchema as unknown as Parameters<typeof jsonSchema>[0]) },
  };
  for (const tool of exposed) {
    const schema = isJenkinsTool(tool.name) ? stripJenkinsSchema(tool.inputSchema) : tool.inputSchema;
    tools[tool.name] = { description: tool.description || tool.title, inputSchema: jsonSchema(schema as Parameters<typeof jsonSchema>[0]) };
  }
  return tools;
}
