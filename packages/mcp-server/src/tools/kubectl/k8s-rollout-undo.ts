import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { resolveUndoRevision, rolloutResourceField, undoRollout } from './rollouts.ts';
import { withTextOutput } from '../output-shapes.ts';

export const k8sRolloutUndo = defineTool({
  name: 'k8s_rollout_undo',
  title: 'Rollback Kubernetes Resource',
  description: 'Roll a deployment, daemonset or statefulset back to its previous revision or to to_revision (like `kubectl rollout undo`). Preview with k8s_diff operation=rollout_undo.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the workload'),
    resource_type: rolloutResourceField,
    namespace: z.string().optional().default('default').describe('Namespace of the workload'),
    to_revision: z.number().int().min(1).optional().describe('If omitted, rolls back to the previous revision (resolved to its number before approval)'),
  },
  outputSchema: withTextOutput({ revision: z.number().int().optional().describe('The revision rolled back to') }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  preview: { tool: 'k8s_diff', mapArguments: (input) => ({ operation: 'rollout_undo', name: input.name, resource_type: input.resource_type, namespace: input.namespace, to_revision: input.to_revision }) },
  resolve: (input, deps: ToolDeps, context) => resolveUndoRevision(deps, input, context.signal),
  async handler(input, deps: ToolDeps, context) {
    const result = await undoRollout(deps, input, { dryRun: false, signal: context.signal });
    return { text: result.summary, ...(result.revision !== undefined ? { structured: { revision: result.revision } } : {}) };
  },
});
