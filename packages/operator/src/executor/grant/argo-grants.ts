/**
 * What the Argo Rollouts tools write (issue 73): each changes one Rollout, through the object or its status
 * subresource, in a way no dry-run can fix ahead (the controller moves the status meanwhile). So the grant names the
 * Rollout and the webhook holds each write to the fields the tool's own patch touches (`change.within`) and, where the
 * arguments fix them, their values (`change.values`): a pause can only pause, a set-image can only set that image.
 * Mirrors packages/mcp-server's tools/argo (the kubectl-argo-rollouts plugin's patches), independently.
 */
import { z } from 'zod';
import type { ApprovedAccess } from '@skyflo/protocol';
import { ExecutorError } from '../executor-options.ts';
import { accessEntry, argumentsOf, asExecutor, type GrantContext } from './grant-entry.ts';

const rollouts = { group: 'argoproj.io', version: 'v1alpha1', resource: 'rollouts', namespaced: true };
const reference = z.object({ name: z.string().min(1).max(253), namespace: z.string().min(1).max(63).optional() });

function rollout(args: Record<string, unknown>, context: GrantContext, extra: z.ZodRawShape = {}) {
  const call = argumentsOf(reference.extend(extra), args, context.tool) as { name: string; namespace?: string } & Record<string, unknown>;
  return { call, namespace: call.namespace ?? 'default' };
}

/** The Rollout (through the object and, where the tool patches it, its status subresource), each limited to `within`. */
function rolloutAccess(name: string, namespace: string, object: { within: string[]; values?: Record<string, unknown>; verbs?: Array<'patch' | 'update'> }, status?: string[]): ApprovedAccess[] {
  return [
    accessEntry(rollouts, { namespace, name, verbs: object.verbs ?? ['patch'], change: { within: object.within, ...(object.values ? { values: object.values } : {}) } }),
    ...(status ? [accessEntry(rollouts, { namespace, name, subresource: 'status', verbs: ['patch'], change: { within: status } })] : []),
  ];
}

async function live(context: GrantContext, name: string, namespace: string): Promise<Record<string, any>> {
  const found = await asExecutor(`read Rollout ${namespace}/${name}`, () => context.kube.get(context.kube.path(rollouts, { namespace, name })));
  if (!found) throw new ExecutorError('INVALID', `Rollout ${namespace}/${name} does not exist`);
  return found as Record<string, any>;
}

export const argoGrants = {
  // unpause, or step on / full promotion through the status (the plugin's fallback writes both on the object)
  argo_promote: async (args: Record<string, unknown>, context: GrantContext) => {
    const { call, namespace } = rollout(args, context, { full: z.boolean().optional() });
    return rolloutAccess(call.name, namespace, { within: ['/spec/paused', '/status/pauseConditions', '/status/currentStepIndex', '/status/promoteFull'] }, ['/status/pauseConditions', '/status/currentStepIndex', '/status/promoteFull']);
  },
  argo_abort_rollout: async (args: Record<string, unknown>, context: GrantContext) => {
    const { call, namespace } = rollout(args, context);
    return rolloutAccess(call.name, namespace, { within: ['/status/abort'], values: { '/status/abort': true } }, ['/status/abort']);
  },
  argo_pause_rollout: async (args: Record<string, unknown>, context: GrantContext) => {
    const { call, namespace } = rollout(args, context);
    return rolloutAccess(call.name, namespace, { within: ['/spec/paused'], values: { '/spec/paused': true } });
  },
  argo_resume_rollout: async (args: Record<string, unknown>, context: GrantContext) => {
    const { call, namespace } = rollout(args, context);
    return rolloutAccess(call.name, namespace, { within: ['/spec/paused', '/status/pauseConditions'] }, ['/status/pauseConditions']);
  },
  argo_rollout_restart: async (args: Record<string, unknown>, context: GrantContext) => {
    const { call, namespace } = rollout(args, context);
    return rolloutAccess(call.name, namespace, { within: ['/spec/restartAt'] });
  },
  // a replace of the object whose only change is the named containers' image, set to the approved one
  argo_set_image: async (args: Record<string, unknown>, context: GrantContext) => {
    const { call, namespace } = rollout(args, context, { image: z.string().min(1).max(512), container_name: z.string().min(1).max(63).optional() });
    const podSpec = (await live(context, call.name, namespace))['spec']?.['template']?.['spec'] ?? {};
    const target = (call['container_name'] as string | undefined) ?? ((podSpec['containers'] ?? []).length === 1 ? podSpec['containers'][0]['name'] : undefined);
    if (!target) throw new ExecutorError('INVALID', `Rollout ${namespace}/${call.name} has several containers and the approved call names none`);
    const values: Record<string, unknown> = {};
    for (const group of ['initContainers', 'containers', 'ephemeralContainers']) {
      ((podSpec[group] ?? []) as Array<{ name?: string }>).forEach((container, index) => {
        if (target === '*' || container.name === target) values[`/spec/template/spec/${group}/${index}/image`] = call['image'];
      });
    }
    if (Object.keys(values).length === 0) throw new ExecutorError('INVALID', `Rollout ${namespace}/${call.name} has no container "${target}"`);
    return rolloutAccess(call.name, namespace, { within: Object.keys(values), values, verbs: ['update'] });
  },
  // a replace of the object that puts back one revision's pod template, exactly
  argo_undo: async (args: Record<string, unknown>, context: GrantContext) => {
    const { call, namespace } = rollout(args, context, { to_revision: z.number().int().min(1).optional() });
    if (call['to_revision'] === undefined) throw new ExecutorError('INVALID', 'the approved argo_undo names no to_revision (the preview resolves "the previous revision" to a number before approval)');
    const current = await live(context, call.name, namespace);
    const owned = (await asExecutor(`list the ReplicaSets of Rollout ${call.name}`, () => context.kube.list(`/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets`))).filter((item) =>
      (item.metadata.ownerReferences ?? []).some((owner) => owner.uid === current['metadata']?.['uid']),
    );
    const revisionOf = (object: { metadata: { annotations?: Record<string, string> } }) => Number(object.metadata.annotations?.['rollout.argoproj.io/revision'] ?? 0) || 0;
    const target = owned.find((item) => revisionOf(item) === call['to_revision']) as (typeof owned)[number] & { spec?: { template?: Record<string, any> } };
    if (!target) throw new ExecutorError('INVALID', `Rollout ${namespace}/${call.name} has no revision ${String(call['to_revision'])}`);
    const template = structuredClone(target.spec?.template ?? {});
    if (template['metadata']?.['labels']) delete template['metadata']['labels']['rollouts-pod-template-hash'];
    // the tool lists the Rollout's ReplicaSets to find the revision, as the plugin does
    return { access: rolloutAccess(call.name, namespace, { within: ['/spec/template'], values: { '/spec/template': template }, verbs: ['update'] }), reads: [{ apiGroup: 'apps', resources: ['replicasets'], namespace, verbs: ['list' as const] }] };
  },
};
