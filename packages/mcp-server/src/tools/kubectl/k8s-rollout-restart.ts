import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { restartRollout, rolloutResourceField } from './rollouts.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sRolloutRestart = defineTool({
  name: 'k8s_rollout_restart',
  title: 'Restart Kubernetes Deployment',
  description: 'Restart all pods of a deployment (or daemonset/statefulset) with a rolling update, like `kubectl rollout restart`. Preview with k8s_diff operation=rollout_restart.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the deployment to restart'),
    namespace: z.string().optional().default('default').describe('Namespace of the deployment'),
    resource_type: rolloutResourceField.optional().default('deployment'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  preview: { tool: 'k8s_diff', mapArguments: (input) => ({ operation: 'rollout_restart', name: input.name, resource_type: input.resource_type, namespace: input.namespace }) },
  async handler(input, deps: ToolDeps, context) {
    // The same annotation kubectl sets: a pod-template change that triggers a new rollout.
    const result = await restartRollout(deps, input, { dryRun: false, signal: context.signal });
    return { text: result.summary };
  },
});
