import { z } from 'zod';
import { stringify } from 'yaml';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { redactObject } from '@skyflo/safety';
import { assertSafeName, clients, namespaceField, namespaceOf } from './kubectl-common.ts';
import { listRevisions, rolloutResourceField, workloadPath } from './rollouts.ts';
import { withTextOutput } from '../output-shapes.ts';

export const k8sRolloutHistory = defineTool({
  name: 'k8s_rollout_history',
  title: 'View Kubernetes Rollout History',
  description: 'List the revisions of a deployment, daemonset or statefulset (like `kubectl rollout history`), or show the pod template of one revision.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the workload'),
    resource_type: rolloutResourceField,
    namespace: namespaceField,
    revision: z.number().int().min(1).optional().describe('Show this revision in detail; omit for all revisions'),
  },
  outputSchema: withTextOutput({ revisions: z.array(z.number().int()).optional().describe('The revision numbers, oldest first') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('name', input.name);
    const namespace = namespaceOf(deps, input.namespace);
    const workload = await clients(deps).http.json<any>({ path: workloadPath(input.resource_type, namespace, input.name), signal: context.signal });
    const revisions = await listRevisions(deps, input.resource_type, namespace, workload, context.signal);
    const label = `${input.resource_type}.apps/${input.name}`;
    if (input.revision !== undefined) {
      const found = revisions.find((entry) => entry.revision === input.revision);
      if (!found) {
        throw new ToolInputError(`${label} has no revision ${input.revision}.`, { hint: `known revisions: ${revisions.map((entry) => entry.revision).join(', ') || 'none'}`, code: 'NOT_FOUND' });
      }
      return { text: `${label} with revision #${found.revision}\nPod Template:\n${stringify(redactObject(found.template ?? {}), { lineWidth: 0 })}` };
    }
    if (revisions.length === 0) return { text: `${label}\nNo rollout history found.` };
    const rows = revisions.map((entry) => `${String(entry.revision).padEnd(10)}${entry.changeCause ?? '<none>'}`);
    return { text: [label, 'REVISION  CHANGE-CAUSE', ...rows].join('\n'), structured: { revisions: revisions.map((entry) => entry.revision) } };
  },
});
