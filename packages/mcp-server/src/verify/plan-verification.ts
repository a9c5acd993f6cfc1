/**
 * Which checks verify a call: from the tool and its (schema-defaulted) arguments to the workload, object, node or
 * Helm release whose state tells whether the change worked. Calls with nothing to check say why (not_applicable).
 */
import { parse, parseAllDocuments } from 'yaml';
import { parseContainerImages } from '../tools/kubectl/mutations.ts';
import { resourcePath, type ResourceInfo } from '../kube/create-discovery.ts';
import { assertSafeName } from '../exec/flag-guard.ts';
import type { Check } from './check-types.ts';
import type { ContextDeps } from './cluster-context.ts';
import { createHelmReleaseCheck } from './helm-check.ts';
import { createDeleteCheck, createFieldsCheck, createNodeCheck, type ObjectRef } from './object-checks.ts';
import { createWorkloadCheck, workloadKindOf, type WorkloadKind } from './workload-check.ts';

export type Plan = { checks: Check[] } | { notApplicable: string };

type Args = Record<string, any>;

const rolloutKinds: Record<string, WorkloadKind> = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet' };

async function resolve(context: ContextDeps, resourceType: string): Promise<ResourceInfo> {
  return context.clients.discovery.resolve(resourceType);
}

function namespaceOf(context: ContextDeps, info: ResourceInfo, namespace: unknown): string | undefined {
  if (!info.namespaced) return undefined;
  const resolved = typeof namespace === 'string' && namespace ? namespace : context.clients.defaultNamespace;
  assertSafeName('namespace', resolved);
  return resolved;
}

function refOf(info: ResourceInfo, namespace: string | undefined, name: string): ObjectRef {
  assertSafeName('name', name);
  return { collection: resourcePath(info, { namespace }), name, label: `${info.singular}${info.group ? `.${info.group}` : ''} ${namespace ? `${namespace}/` : ''}${name}` };
}

/** A patch turned into the object shape it sets (JSON patch: its add/replace operations). */
function desiredOfPatch(patch: string, patchType: string): unknown {
  const body = parse(patch);
  if (patchType !== 'json') return body;
  const desired: Record<string, any> = {};
  for (const operation of Array.isArray(body) ? body : []) {
    if (!['add', 'replace'].includes(operation?.op) || typeof operation.path !== 'string') continue;
    const parts = operation.path.split('/').slice(1).map((part: string) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
    // list positions cannot be read back by name; such operations are checked through the workload instead
    if (parts.some((part: string) => /^\d+$|^-$/.test(part))) continue;
    let cursor = desired;
    parts.slice(0, -1).forEach((part: string) => (cursor = cursor[part] ??= {}));
    cursor[parts.at(-1)!] = operation.value;
  }
  return desired;
}

export async function planVerification(options: { tool: string; args: Args; context: ContextDeps; changedAt: number; before?: Record<string, any> }): Promise<Plan> {
  const { tool, args, context, changedAt } = options;
  const http = context.clients.http;
  const workload = (kind: WorkloadKind, namespace: string, name: string, expect?: Parameters<typeof createWorkloadCheck>[0]['expect']) => {
    assertSafeName('name', name);
    assertSafeName('namespace', namespace);
    const hpaSyncSeconds = context.deps.settings.hpaSyncPeriodSeconds;
    return createWorkloadCheck({ http, kind, namespace, name, expect, changedAt, ...(hpaSyncSeconds !== undefined ? { hpaSyncSeconds } : {}) });
  };
  const defaultNamespace = () => (typeof args.namespace === 'string' && args.namespace ? args.namespace : context.clients.defaultNamespace);
  switch (tool) {
    case 'k8s_scale': {
      const info = await resolve(context, args.resource_type);
      const kind = workloadKindOf(info.kind);
      const namespace = namespaceOf(context, info, args.namespace);
      if (kind && namespace) return { checks: [workload(kind, namespace, args.name, { replicas: args.replicas, onlyPodsCreatedAfterChange: true })] };
      return { checks: [createFieldsCheck({ ref: refOf(info, namespace, args.name), desired: { spec: { replicas: args.replicas } } })] };
    }
    case 'k8s_set_image': {
      const info = await resolve(context, args.resource_type);
      const kind = workloadKindOf(info.kind);
      const namespace = namespaceOf(context, info, args.namespace);
      const images = Object.fromEntries(parseContainerImages(args.container_images).map((pair) => [pair.container, pair.image]));
      if (kind && namespace) return { checks: [workload(kind, namespace, args.resource_name, { images })] };
      const named = Object.entries(images).filter(([container]) => container !== '*').map(([name, image]) => ({ name, image }));
      const containers = info.resource === 'pods' ? { spec: { containers: named } } : info.resource === 'cronjobs' ? { spec: { jobTemplate: { spec: { template: { spec: { containers: named } } } } } } : { spec: { template: { spec: { containers: named } } } };
      return { checks: [createFieldsCheck({ ref: refOf(info, namespace, args.resource_name), desired: containers })] };
    }
    case 'k8s_patch': {
      const info = await resolve(context, args.resource_type);
      const namespace = namespaceOf(context, info, args.namespace);
      const checks: Check[] = [createFieldsCheck({ ref: refOf(info, namespace, args.name), desired: desiredOfPatch(args.patch, args.patch_type ?? 'strategic') })];
      const kind = workloadKindOf(info.kind);
      if (kind && namespace && info.group === (kind === 'Rollout' ? 'argoproj.io' : 'apps')) checks.push(workload(kind, namespace, args.name));
      return { checks };
    }
    case 'k8s_apply': {
      const checks: Check[] = [];
      for (const document of parseAllDocuments(String(args.content)).map((entry) => entry.toJSON() as Record<string, any> | null)) {
        const objects = document?.kind === 'List' ? (document.items ?? []) : [document];
        for (const object of objects) {
          if (!object?.kind || !object?.metadata?.name || !object.apiVersion) continue;
          const group = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/')[0] : '';
          const info = await resolve(context, group ? `${object.kind}.${group}` : object.kind);
          const namespace = namespaceOf(context, info, object.metadata.namespace ?? args.namespace);
          checks.push(createFieldsCheck({ ref: refOf(info, namespace, object.metadata.name), desired: object }));
          const kind = workloadKindOf(info.kind);
          if (kind && namespace) checks.push(workload(kind, namespace, object.metadata.name));
        }
      }
      return checks.length ? { checks } : { notApplicable: 'the manifest has no objects to check' };
    }
    case 'k8s_delete': {
      const info = await resolve(context, args.resource_type);
      const namespace = namespaceOf(context, info, args.namespace);
      const deletedUid = options.before?.objects?.[0]?.manifest?.metadata?.uid ?? options.before?.uid;
      return { checks: [createDeleteCheck({ http, ref: refOf(info, namespace, args.name), deletedUid })] };
    }
    case 'k8s_cordon':
    case 'k8s_uncordon':
    case 'k8s_drain':
      assertSafeName('node_name', args.node_name);
      return { checks: [createNodeCheck({ node: args.node_name, unschedulable: tool !== 'k8s_uncordon', drained: tool === 'k8s_drain' })] };
    case 'k8s_rollout_restart':
    case 'k8s_rollout_undo':
      return { checks: [workload(rolloutKinds[args.resource_type ?? 'deployment'] ?? 'Deployment', defaultNamespace(), args.name)] };
    case 'helm_install':
    case 'helm_install_with_values':
    case 'helm_upgrade':
    case 'helm_rollback':
    case 'helm_uninstall':
      assertSafeName('release_name', args.release_name);
      assertSafeName('namespace', args.namespace);
      return { checks: [createHelmReleaseCheck({ deps: context.deps, http, release: args.release_name, namespace: args.namespace, helmArgs: context.helmArgs, uninstalled: tool === 'helm_uninstall', changedAt })] };
    case 'argo_set_image':
      return { checks: [workload('Rollout', args.namespace, args.name, { images: { [args.container_name ?? '*']: args.image } })] };
    case 'argo_promote':
    case 'argo_undo':
    case 'argo_rollout_restart':
    case 'argo_resume_rollout':
      return { checks: [workload('Rollout', args.namespace, args.name)] };
    case 'argo_abort_rollout':
    case 'argo_pause_rollout':
      return { notApplicable: `${tool} stops a rollout on purpose; its state (argo_status) is the result` };
    default:
      if (tool.startsWith('helm_repo_')) return { notApplicable: `${tool} changes the server's chart repositories, not the cluster` };
      if (['k8s_exec', 'k8s_run_pod', 'k8s_port_forward'].includes(tool)) return { notApplicable: `${tool} has no desired state to check` };
      return { notApplicable: `no verification is known for ${tool}` };
  }
}
