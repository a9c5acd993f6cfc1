import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { namespaceField } from './kubectl-common.ts';
import { scaleObject } from './mutations.ts';
import { renderDiff } from './k8s-diff.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sScale = defineTool({
  name: 'k8s_scale',
  title: 'Scale Kubernetes Resource',
  description: 'Set the replica count of a deployment, statefulset or replicaset (like `kubectl scale`). Preview with k8s_diff operation=scale.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the workload'),
    resource_type: z.string().min(1).describe('deployment, statefulset or replicaset'),
    replicas: z.number().int().min(0).max(10_000).describe('Target replica count'),
    namespace: namespaceField,
    dry_run: z.boolean().optional().default(false).describe('Server-side dry run: show the diff without changing anything'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  preview: { tool: 'k8s_diff', mapArguments: (input) => ({ operation: 'scale', name: input.name, resource_type: input.resource_type, replicas: input.replicas, namespace: input.namespace }) },
  async handler(input, deps: ToolDeps, context) {
    const result = await scaleObject(deps, input, { dryRun: input.dry_run, signal: context.signal });
    return { text: input.dry_run ? `${result.summary}\n\n${renderDiff(result) || 'No changes.'}` : result.summary };
  },
});
