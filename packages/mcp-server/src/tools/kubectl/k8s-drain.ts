import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { KubeApiError } from '../../kube/kube-api-error.ts';
import { clients } from './kubectl-common.ts';
import { setUnschedulable } from './nodes.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sDrain = defineTool({
  name: 'k8s_drain',
  title: 'Drain Kubernetes Node',
  description: 'Cordon a node and evict its pods through the Eviction API (PodDisruptionBudgets are honoured), like `kubectl drain`.',
  toolset: 'k8s',
  inputSchema: {
    node_name: z.string().min(1).describe('Name of the node'),
    ignore_daemonsets: z.boolean().optional().default(true).describe('Skip DaemonSet-managed pods'),
    delete_emptydir_data: z.boolean().optional().default(false).describe('Delete pods using emptyDir volumes (their data is lost)'),
  },
  // draining a drained node finds nothing left to evict
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    const lines = [await setUnschedulable(deps, input.node_name, true, context.signal)];
    const { http } = clients(deps);
    const pods = await http.json<{ items: any[] }>({ path: '/api/v1/pods', query: { fieldSelector: `spec.nodeName=${input.node_name}` }, signal: context.signal });
    const problems: string[] = [];
    const toEvict: any[] = [];
    const ignored: string[] = [];
    for (const pod of pods.items) {
      const id = `${pod.metadata.namespace}/${pod.metadata.name}`;
      // Mirror pods belong to the kubelet, and pods already terminating need no eviction.
      if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] || pod.metadata?.deletionTimestamp) continue;
      const controller = (pod.metadata?.ownerReferences ?? []).find((owner: any) => owner.controller);
      const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      if (controller?.kind === 'DaemonSet') {
        if (input.ignore_daemonsets) ignored.push(id);
        else problems.push(`cannot delete DaemonSet-managed Pods (use ignore_daemonsets): ${id}`);
        continue;
      }
      if (!controller && !finished) {
        problems.push(`cannot delete Pods that declare no controller (a bare pod would be lost for good): ${id}`);
        continue;
      }
      if (!input.delete_emptydir_data && (pod.spec?.volumes ?? []).some((volume: any) => volume.emptyDir)) {
        problems.push(`cannot delete Pods with local storage (use delete_emptydir_data): ${id}`);
        continue;
      }
      toEvict.push(pod);
    }
    if (problems.length > 0) {
      throw new ToolInputError(`Node ${input.node_name} is cordoned but was not drained:\n${problems.join('\n')}`, {
        hint: 'move or delete those pods yourself, or change the flags; then drain again (k8s_uncordon undoes the cordon)',
        code: 'FAILED',
      });
    }
    if (ignored.length > 0) lines.push(`Warning: ignoring DaemonSet-managed Pods: ${ignored.join(', ')}`);
    const blocked: string[] = [];
    for (const pod of toEvict) {
      const { namespace, name } = pod.metadata;
      lines.push(`evicting pod ${namespace}/${name}`);
      try {
        await http.json({
          method: 'POST',
          path: `/api/v1/namespaces/${namespace}/pods/${name}/eviction`,
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
          signal: context.signal,
        });
        lines.push(`pod/${name} evicted`);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 429) blocked.push(`${namespace}/${name}: ${error.message}`);
        else if (error instanceof KubeApiError && error.status === 404) lines.push(`pod/${name} already gone`);
        else throw error;
      }
    }
    if (blocked.length > 0) {
      throw new ToolInputError(`Node ${input.node_name} is cordoned, but ${blocked.length} pod(s) could not be evicted because a PodDisruptionBudget forbids it:\n${blocked.join('\n')}`, {
        hint: 'wait for the disrupted workload to recover (wait_for_x_seconds) and drain again',
        code: 'CONFLICT',
      });
    }
    lines.push(`node/${input.node_name} drained`);
    return { text: lines.join('\n') };
  },
});
