import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { deleteObject } from './mutations.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sDelete = defineTool({
  name: 'k8s_delete',
  title: 'Delete Kubernetes Resource',
  description: 'Delete one resource by name (dependents are garbage-collected in the background). Preview with k8s_diff operation=delete.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the resource to delete'),
    resource_type: z.string().min(1).describe('Resource type, e.g. pod, deployment, secret'),
    namespace: z.string().optional().default('default').describe('Namespace of the resource (default "default")'),
    dry_run: z.boolean().optional().default(false).describe('Server-side dry run: check the delete would succeed without deleting'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  preview: { tool: 'k8s_diff', mapArguments: (input) => ({ operation: 'delete', name: input.name, resource_type: input.resource_type, namespace: input.namespace }) },
  async handler(input, deps: ToolDeps, context) {
    const result = await deleteObject(deps, input, { dryRun: input.dry_run, signal: context.signal });
    return { text: result.summary };
  },
});
