/** Placeholder until the jenkins family lands (owned by the other MCP engineer). */
import type { AnyToolDefinition } from '../tool-definition.ts';
import type { ToolDeps } from '../deps.ts';

export const jenkinsTools: AnyToolDefinition<ToolDeps>[] = [];
