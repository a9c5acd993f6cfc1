/**
 * Every tool the server offers, in a stable order: kubectl, helm, argo, jenkins, observability, then preview_tool_call and
 * list_clusters. The Kubernetes, Helm and Argo tools take an optional `context` (the cluster; tools/cluster-context.ts).
 */
import type { AnyToolDefinition } from './contract/tool-definition.ts';
import type { ToolDeps } from './deps/deps.ts';
import { kubectlTools } from './tools/kubectl/index.ts';
import { helmTools } from './tools/helm/index.ts';
import { argoTools } from './tools/argo/index.ts';
import { jenkinsTools } from './tools/jenkins/index.ts';
import { observabilityTools } from './tools/observability/index.ts';
import { createPreviewToolCall } from './tools/preview/preview-tool-call.ts';
import { createVerificationTools } from './verify/index.ts';
import { withClusterContext } from './tools/cluster-context.ts';
import { listClusters } from './tools/clusters/list-clusters.ts';

const familyTools: AnyToolDefinition<ToolDeps>[] = [...[...kubectlTools, ...helmTools, ...argoTools].map(withClusterContext), ...jenkinsTools, ...observabilityTools];

/** The families, then the toolset-neutral preview_tool_call (which previews any of them that has a preview) and list_clusters. */
// capture_change_baseline and verify_change (issue 21) are the engine's: no toolset, so never shown to the model.
export const allTools: AnyToolDefinition<ToolDeps>[] = [...familyTools, createPreviewToolCall(familyTools), listClusters, ...createVerificationTools(familyTools)];
