/** The kubectl family: cluster reads, mutations, and the k8s_diff preview. */
import type { AnyToolDefinition } from '../tool-definition.ts';
import type { ToolDeps } from '../deps.ts';

export const kubectlTools: AnyToolDefinition<ToolDeps>[] = [];
