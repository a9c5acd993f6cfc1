/** Scripts for llm-sim that play the agent through a change, shared by the CLI and Command Center flow tests. */
import type { LlmScript } from './script/script-schema.ts';

/** The model loads the k8s write tools, calls `tool` with `args`, then answers `afterwards`. */
export const changeScript = (tool: string, args: Record<string, unknown>, afterwards: string) =>
  ({
    rules: [
      { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: tool, arguments: args }] } },
      { match: { toolName: tool }, reply: afterwards },
    ],
  }) satisfies LlmScript;

/** The model sets `image` on deployment `name` in `default`, then answers `afterwards`. */
export const setImageScript = (name: string, image: string, afterwards: string) =>
  changeScript('k8s_set_image', { resource_type: 'deployment', resource_name: name, container_images: `${name}=${image}`, namespace: 'default', dry_run: false }, afterwards);
