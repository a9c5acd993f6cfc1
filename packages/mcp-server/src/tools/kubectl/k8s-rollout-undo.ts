import { z } from 'zod';
import { defineTool } from '../tool-definition.ts';
import type { ToolDeps } from '../deps.ts';
import { ToolInputError } from '../../errors.ts';
import { assertSafeName, clients, namespaceOf } from './kubectl-common.ts';
import { listRevisions, rolloutResourceField, workloadPath } from './rollouts.ts';

export const k8sRolloutUndo = defineTool({
  name: 'k8s_rollout_undo',
  title: 'Rollback Kubernetes Resource',
  description: 'Roll a deployment, daemonset or statefulset back to its previous revision or to to_revision (like `kubectl rollout undo`).',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the workload'),
    resource_type: rolloutResourceField,
    namespace: z.string().optional().default('default').describe('Namespace of the workload'),
    to_revision: z.number().int().min(1).optional().describe('If omitted, rolls back to the previous revision'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('name', input.name);
    const namespace = namespaceOf(deps, input.namespace);
    const path = workloadPath(input.resource_type, namespace, input.name);
    const { http } = clients(deps);
    const workload = await http.json<any>({ path, signal: context.signal });
    const revisions = await listRevisions(deps, input.resource_type, namespace, workload, context.signal);
    const label = `${input.resource_type}.apps/${input.name}`;
    const current = revisions.at(-1);
    const wanted = input.to_revision !== undefined ? revisions.find((entry) => entry.revision === input.to_revision) : revisions.at(-2);
    if (!wanted) {
      throw new ToolInputError(
        input.to_revision !== undefined ? `${label} has no revision ${input.to_revision}.` : `${label} has no previous revision to roll back to.`,
        { hint: `known revisions: ${revisions.map((entry) => entry.revision).join(', ') || 'none'} (see k8s_rollout_history)`, code: 'NOT_FOUND' },
      );
    }
    if (current && wanted.revision === current.revision) return { text: `${label} skipped rollback (current template already matches revision ${wanted.revision})` };
    if (input.resource_type === 'deployment') {
      const template = structuredClone(wanted.template ?? {});
      // The hash label belongs to the ReplicaSet, not the Deployment's template.
      if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
      await http.json({ method: 'PATCH', path, query: { fieldManager: 'kubectl-rollout' }, contentType: 'application/json-patch+json', body: [{ op: 'replace', path: '/spec/template', value: template }], signal: context.signal });
    } else {
      await http.json({ method: 'PATCH', path, query: { fieldManager: 'kubectl-rollout' }, contentType: 'application/strategic-merge-patch+json', body: wanted.data ?? { spec: { template: wanted.template } }, signal: context.signal });
    }
    return { text: `${label} rolled back to revision ${wanted.revision}`, structured: { revision: wanted.revision } };
  },
});
