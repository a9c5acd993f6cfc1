import { z } from 'zod';
import { defineTool } from '../tool-definition.ts';
import type { ToolDeps } from '../deps.ts';
import { assertSafeName, clients, namespaceOf } from './kubectl-common.ts';
import { rolloutResourceField, workloadPath } from './rollouts.ts';

export const k8sRolloutRestart = defineTool({
  name: 'k8s_rollout_restart',
  title: 'Restart Kubernetes Deployment',
  description: 'Restart all pods of a deployment (or daemonset/statefulset) with a rolling update, like `kubectl rollout restart`.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the deployment to restart'),
    namespace: z.string().optional().default('default').describe('Namespace of the deployment'),
    resource_type: rolloutResourceField.optional().default('deployment'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('name', input.name);
    const namespace = namespaceOf(deps, input.namespace);
    // The same annotation kubectl sets: a pod-template change that triggers a new rollout.
    await clients(deps).http.json({
      method: 'PATCH',
      path: workloadPath(input.resource_type, namespace, input.name),
      query: { fieldManager: 'kubectl-rollout' },
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } },
      signal: context.signal,
    });
    return { text: `${input.resource_type}.apps/${input.name} restarted` };
  },
});
