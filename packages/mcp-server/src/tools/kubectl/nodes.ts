/** Cordon/uncordon shared by k8s_cordon, k8s_uncordon and k8s_drain. */
import type { ToolDeps } from '../../deps/deps.ts';
import { assertSafeName, clients } from './kubectl-common.ts';

export async function setUnschedulable(deps: ToolDeps, nodeName: string, unschedulable: boolean, signal?: AbortSignal): Promise<string> {
  assertSafeName('node_name', nodeName);
  const { http } = clients(deps);
  const path = `/api/v1/nodes/${nodeName}`;
  const node = await http.json<any>({ path, signal });
  if (Boolean(node.spec?.unschedulable) === unschedulable) return `node/${nodeName} already ${unschedulable ? 'cordoned' : 'uncordoned'}`;
  await http.json({ method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { spec: { unschedulable: unschedulable || null } }, signal });
  return `node/${nodeName} ${unschedulable ? 'cordoned' : 'uncordoned'}`;
}
