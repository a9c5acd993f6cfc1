/**
 * The running operator: informers on SkyfloAIs and on everything they own feed one work queue whose worker runs
 * reconcileSkyfloAi. A change to an owned object (a deleted Service, an edited Deployment, a pod becoming ready)
 * enqueues its owner, so drift is repaired and status follows the rollout without polling.
 */
import { makeInformer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { managedBy, skyfloAiApiVersion, skyfloAiKind } from '../desired/names.ts';
import { createEventRecorder } from '../kube/event-recorder.ts';
import { createKubeRest, isNotFound, resourcePath, type KubeObject, type KubeRest } from '../kube/kube-rest.ts';
import type { McpRbacMode } from '../reconcile/install-rbac.ts';
import { reconcileSkyfloAi } from '../reconcile/reconcile-skyfloai.ts';
import { createSecretIndex } from './secret-index.ts';
import { createWorkQueue, type WorkQueue } from './work-queue.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** only this namespace's SkyfloAIs (default: all namespaces) */
  namespace?: string;
  /** how often every SkyfloAI is reconciled even without a change (default 5 minutes) */
  resyncMs?: number;
  /** who makes the MCP server's RBAC: this operator (default) or the install (the chart; reconcile/install-rbac.ts) */
  mcpRbac?: McpRbacMode;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface Operator {
  kube: KubeRest;
  queue: WorkQueue;
  stop(): Promise<void>;
}

/** Kinds a SkyfloAI owns, watched with the managed-by label so foreign objects never wake the queue. */
const ownedKinds = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
];

/** The SkyfloAI an owned object belongs to: its namespace (or owner-namespace label when cluster-scoped) and instance label. */
function ownerKey(object: KubernetesObject): string | undefined {
  const labels = object.metadata?.labels ?? {};
  const name = labels['skyflo.ai/owner-name'] ?? labels['app.kubernetes.io/instance'];
  const namespace = labels['skyflo.ai/owner-namespace'] ?? object.metadata?.namespace;
  return name && namespace ? `${namespace}/${name}` : undefined;
}

export async function startOperator(options: OperatorOptions): Promise<Operator> {
  const log = options.log ?? (() => {});
  const kube = createKubeRest(options.kubeConfig);
  const events = createEventRecorder({ kube, component: 'skyflo-operator', onError: (error) => log('could not record an event', { error: String(error) }) });
  const queue = createWorkQueue({
    process: async (key) => {
      const [namespace, name] = key.split('/');
      return reconcileSkyfloAi({ kube, events, log, mcpRbac: options.mcpRbac }, { namespace, name });
    },
    onError: (key, error, retryInMs) => log('reconcile failed, retrying', { key, retryInMs, error: error instanceof Error ? error.message : String(error) }),
  });

  const informers: Array<{ stop(): Promise<void> }> = [];
  let stopped = false;
  function watch(reference: { apiVersion: string; kind: string }, onObject: (object: KubernetesObject, verb: 'add' | 'update' | 'delete') => void, labelSelector?: string): Promise<void> {
    const namespaced = reference.kind !== 'ClusterRole' && reference.kind !== 'ClusterRoleBinding';
    const path = resourcePath({ ...reference, ...(namespaced && options.namespace ? { namespace: options.namespace } : {}) });
    const informer = makeInformer<KubernetesObject>(
      options.kubeConfig,
      path,
      async () => {
        const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
        return kube.request('GET', `${path}${query}`);
      },
      labelSelector,
    );
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, (object) => onObject(object, verb));
    // client-node's informer stops on a watch error; start it again after a pause, as client-go's reflector does.
    informer.on('error', (error: unknown) => {
      if (stopped) return;
      log('watch failed, restarting', { kind: reference.kind, error: error instanceof Error ? error.message : String(error) });
      setTimeout(() => void informer.start().catch(() => {}), 2_000);
    });
    informers.push(informer);
    return informer.start();
  }

  const enqueueOwner = (object: KubernetesObject) => {
    const key = ownerKey(object);
    if (key) queue.add(key);
  };
  const skyfloAis = { apiVersion: skyfloAiApiVersion, kind: skyfloAiKind };
  const known = new Set<string>();
  const secretReaders = createSecretIndex();
  await watch(skyfloAis, (object, verb) => {
    const key = `${object.metadata?.namespace}/${object.metadata?.name}`;
    known.add(key);
    secretReaders.track(object, verb === 'delete');
    queue.add(key);
  });
  await Promise.all(ownedKinds.map((reference) => watch(reference, enqueueOwner, `app.kubernetes.io/managed-by=${managedBy}`)));
  // The user's Secrets a SkyfloAI reads (not ours, so no label): a rotated one rolls the pods that read it.
  await watch({ apiVersion: 'v1', kind: 'Secret' }, (secret) => secretReaders.readersOf(secret).forEach((key) => queue.add(key)));

  // Issue 76: a SkyfloPolicy added, changed or removed is installed in (or removed from) the API server by the
  // SkyfloAIs of its namespace. Without the CRD there is nothing to watch (the resync still looks, once it is there).
  const policies = { apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloPolicy' };
  const policiesServed = await kube.request('GET', `${resourcePath({ ...policies, ...(options.namespace ? { namespace: options.namespace } : {}) })}?limit=1`).then(
    () => true,
    (error: unknown) => {
      if (isNotFound(error)) return false;
      throw error;
    },
  );
  if (policiesServed) {
    await watch(policies, (object) => {
      for (const key of known) if (key.startsWith(`${object.metadata?.namespace}/`)) queue.add(key);
    });
  } else log('the SkyfloPolicy CRD is not installed: SkyfloPolicies are not watched');

  // Resync: a safety net for a missed watch event.
  const resync = setInterval(() => {
    for (const key of known) queue.add(key);
  }, options.resyncMs ?? 300_000);
  resync.unref();
  log('operator started', { namespace: options.namespace ?? 'all namespaces', mcpRbac: options.mcpRbac ?? 'operator' });

  return {
    kube,
    queue,
    async stop() {
      stopped = true;
      clearInterval(resync);
      queue.stop();
      await Promise.all(informers.map((informer) => informer.stop().catch(() => {})));
    },
  };
}

export type { KubeObject };
