/** Every tool the server offers, in a stable order: kubectl, helm, argo, jenkins, then preview_tool_call. */
import type { AnyToolDefinition } from './tool-definition.ts';
import type { ToolDeps } from './deps.ts';
import { kubectlTools } from './kubectl/index.ts';
import { helmTools } from './helm/index.ts';
import { argoTools } from './argo/index.ts';
import { jenkinsTools } from './jenkins/index.ts';
import { createPreviewToolCall } from './preview/preview-tool-call.ts';

const familyTools: AnyToolDefinition<ToolDeps>[] = [...kubectlTools, ...helmTools, ...argoTools, ...jenkinsTools];

/** The families, then the toolset-neutral preview_tool_call, which previews any of them that has a preview. */
export const allTools: AnyToolDefinition<ToolDeps>[] = [...familyTools, createPreviewToolCall(familyTools)];
