/** Every tool the server offers, in a stable order: kubectl, helm, argo, jenkins. */
import type { AnyToolDefinition } from './tool-definition.ts';
import type { ToolDeps } from './deps.ts';
import { kubectlTools } from './kubectl/index.ts';
import { helmTools } from './helm/index.ts';
import { argoTools } from './argo/index.ts';
import { jenkinsTools } from './jenkins/index.ts';

export const allTools: AnyToolDefinition<ToolDeps>[] = [...kubectlTools, ...helmTools, ...argoTools, ...jenkinsTools];
