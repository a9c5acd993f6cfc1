/**
 * What the node and pod tools write (issue 73): cordon and uncordon patch the node; drain cordons it and evicts the
 * pods `kubectl drain` would (the executor lists them itself); run_pod creates the one pod its arguments describe, whose
 * content the executor's own dry-run binds. Mirrors packages/mcp-server's tools/kubectl/nodes.ts, k8s-drain.ts and
 * k8s-run-pod.ts, independently (see kubectl-grants.ts).
 */
import { z } from 'zod';
import { splitCommandLine, type ApprovedAccess, type KubeObject } from '@skyflo/protocol';
import { ExecutorError } from '../executor-options.ts';
import { accessEntry, argumentsOf, asExecutor, type ComputedGrant, type GrantContext } from './grant-entry.ts';

const nodes = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const pods = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const nodeName = z.string().min(1).max(253);

async function unschedulable(context: GrantContext, node: string, value: boolean): Promise<ApprovedAccess> {
  const path = context.kube.path(nodes, { name: node });
  const patched = await asExecutor(`dry-run the ${value ? 'cordon' : 'uncordon'} of node ${node}`, () =>
    context.kube.dryRun('PATCH', path, { spec: { unschedulable: value || null } }, { contentType: 'application/merge-patch+json' }),
  );
  return accessEntry(nodes, { name: node, verbs: ['patch'], object: patched as Record<string, unknown> });
}

const cordon = async (args: Record<string, unknown>, context: GrantContext) => [await unschedulable(context, argumentsOf(z.object({ node_name: nodeName }), args, context.tool).node_name, true)];
const uncordon = async (args: Record<string, unknown>, context: GrantContext) => [await unschedulable(context, argumentsOf(z.object({ node_name: nodeName }), args, context.tool).node_name, false)];

async function drain(args: Record<string, unknown>, context: GrantContext): Promise<ComputedGrant> {
  const call = argumentsOf(z.object({ node_name: nodeName, ignore_daemonsets: z.boolean().optional(), delete_emptydir_data: z.boolean().optional() }), args, context.tool);
  const ignoreDaemonSets = call.ignore_daemonsets ?? true;
  const access = [await unschedulable(context, call.node_name, true)];
  const onNode = await asExecutor(`list the pods of node ${call.node_name}`, () => context.kube.list('/api/v1/pods', { fieldSelector: `spec.nodeName=${call.node_name}` }));
  for (const pod of onNode as Array<KubeObject & { spec?: { volumes?: Array<{ emptyDir?: unknown }> }; status?: { phase?: string } }>) {
    const { metadata } = pod;
    // the pods kubectl drain (and the tool) evicts: not mirror pods, not terminating, not DaemonSet pods, not bare
    // running pods, not pods with local data unless asked
    if (metadata.annotations?.['kubernetes.io/config.mirror'] || metadata.deletionTimestamp) continue;
    const controller = (metadata.ownerReferences ?? []).find((owner) => owner.controller);
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (controller?.kind === 'DaemonSet' && ignoreDaemonSets) continue;
    if (controller?.kind === 'DaemonSet' || (!controller && !finished)) continue;
    if (!call.delete_emptydir_data && (pod.spec?.volumes ?? []).some((volume) => volume.emptyDir)) continue;
    access.push(accessEntry(pods, { namespace: metadata.namespace, name: metadata.name!, subresource: 'eviction', verbs: ['create'] }));
  }
  // the drain lists the pods of its node, as kubectl drain does
  return { access, reads: [{ apiGroup: '', resources: ['pods'], verbs: ['list'] }] };
}

const quantities = z.record(z.string(), z.union([z.string(), z.number()]));

async function runPod(args: Record<string, unknown>, context: GrantContext): Promise<ApprovedAccess[]> {
  const call = argumentsOf(
    z.object({
      name: z.string().min(1).max(253),
      image: z.string().min(1),
      namespace: z.string().min(1).max(63).optional(),
      command: z.string().optional(),
      container_name: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      env: z.record(z.string(), z.string()).optional(),
      resources: z.object({ requests: quantities.optional(), limits: quantities.optional() }).optional(),
    }),
    args,
    context.tool,
  );
  const namespace = call.namespace ?? 'default';
  let command: string[] | undefined;
  if (call.command) {
    const split = splitCommandLine(call.command);
    if (!split.ok) throw new ExecutorError('INVALID', `the approved command: ${split.message}`);
    command = split.words;
  }
  const env = Object.entries(call.env ?? {}).map(([key, value]) => ({ name: key, value }));
  const resources = Object.fromEntries(
    (['requests', 'limits'] as const)
      .filter((kind) => call.resources?.[kind] && Object.keys(call.resources[kind]!).length > 0)
      .map((kind) => [kind, Object.fromEntries(Object.entries(call.resources![kind]!).map(([key, value]) => [key, String(value)]))]),
  );
  // the pod the tool creates from these arguments (k8s_run_pod): the dry-run of its create is what may be stored
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: call.name, namespace, labels: call.labels ?? { run: call.name } },
    spec: {
      containers: [{ name: call.container_name ?? call.name, image: call.image, ...(command ? { command } : {}), ...(env.length ? { env } : {}), ...(Object.keys(resources).length ? { resources } : {}) }],
      restartPolicy: 'Always',
    },
  };
  const created = await asExecutor(`dry-run the creation of pod ${call.name}`, () => context.kube.dryRun('POST', context.kube.path(pods, { namespace }), pod, { query: { fieldManager: 'skyflo' } }));
  return [accessEntry(pods, { namespace, name: call.name, verbs: ['create'], object: created as Record<string, unknown> })];
}

export const nodeGrants = { k8s_cordon: cordon, k8s_uncordon: uncordon, k8s_drain: drain, k8s_run_pod: runPod };
