import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { namespaceField } from './kubectl-common.ts';
import { patchObject } from './mutations.ts';
import { renderDiff } from './k8s-diff.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sPatch = defineTool({
  name: 'k8s_patch',
  title: 'Patch Kubernetes Resource',
  description: 'Patch a resource with a strategic-merge (default), JSON-merge or JSON patch. Preview with k8s_diff operation=patch.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the resource to patch'),
    resource_type: z.string().min(1).describe('Resource type, e.g. deployment, service, configmap'),
    patch: z.string().min(1).describe('The patch document (JSON or YAML)'),
    namespace: namespaceField,
    patch_type: z.enum(['strategic', 'merge', 'json']).optional().default('strategic').describe("'strategic', 'merge', or 'json'"),
    dry_run: z.boolean().optional().default(false).describe('Server-side dry run: show the diff without changing anything'),
  },
  // a JSON patch that appends to a list changes something on every call, so not idempotent in general
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  preview: { tool: 'k8s_diff', mapArguments: (input) => ({ operation: 'patch', name: input.name, resource_type: input.resource_type, patch: input.patch, patch_type: input.patch_type, namespace: input.namespace }) },
  async handler(input, deps: ToolDeps, context) {
    const result = await patchObject(deps, input, { dryRun: input.dry_run, signal: context.signal });
    return { text: input.dry_run ? `${result.summary}\n\n${renderDiff(result) || 'No changes.'}` : result.summary };
  },
});
