/**
 * Checks for changes that are not rollouts: a delete is gone (and stays gone), a node is (un)schedulable and drained,
 * and the fields a patch or apply set still read back.
 */
import { redactObject } from '@skyflo/safety';
import type { KubeHttp } from '../kube/create-kube-http.ts';
import { pending, type Check } from './check-types.ts';
import { lastManagerOf, managerOfField } from './revert-controller.ts';
import type { WatchSession } from './watch-session.ts';

export interface ObjectRef {
  /** collection path, e.g. /api/v1/namespaces/shop/configmaps */
  collection: string;
  name: string;
  /** "configmap shop/settings" */
  label: string;
}

/** A deleted object: gone → ok; still there with finalizers → pending (named at the deadline); back with a new uid → reverted. */
export function createDeleteCheck(options: { http: KubeHttp; ref: ObjectRef; deletedUid?: string }): Check {
  const { ref } = options;
  let session: WatchSession;
  const current = () => session.items(ref.label)[0];
  let recreatedBy: string | undefined;
  return {
    label: ref.label,
    async start(watchSession) {
      session = watchSession;
      await session.watch(ref.label, ref.collection, { fieldSelector: `metadata.name=${ref.name}` });
    },
    evaluate() {
      const object = current();
      if (!object) return { status: 'ok', summary: `${ref.label} is gone`, evidence: [{ read: `get ${ref.label}`, text: 'NotFound' }] };
      if (options.deletedUid && object.metadata?.uid !== options.deletedUid) {
        const owner = (object.metadata?.ownerReferences ?? []).find((reference: any) => reference.controller);
        recreatedBy = owner ? `${owner.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${owner.name}` : lastManagerOf(object, 'other');
        return { status: 'reverted', summary: `${ref.label} was created again`, evidence: [{ read: `get ${ref.label}`, text: `uid ${object.metadata?.uid}, created ${object.metadata?.creationTimestamp}` }] };
      }
      const finalizers: string[] = object.metadata?.finalizers ?? [];
      return pending(object.metadata?.deletionTimestamp ? `${ref.label} is terminating${finalizers.length ? ` (finalizers: ${finalizers.join(', ')})` : ''}` : `${ref.label} still exists`);
    },
    atDeadline() {
      const state = this.evaluate();
      if (state.status !== 'pending') return state;
      const object = current();
      const finalizers: string[] = object?.metadata?.finalizers ?? [];
      return {
        status: 'pending',
        summary: finalizers.length ? `${ref.label} is stuck terminating on finalizers ${finalizers.join(', ')}` : `${ref.label} still exists`,
        evidence: [{ read: `get ${ref.label}`, text: `deletionTimestamp ${object?.metadata?.deletionTimestamp ?? '(none)'}; finalizers: ${finalizers.join(', ') || '(none)'}` }],
      };
    },
    async explainRevert() {
      return recreatedBy ? (recreatedBy.includes(' ') ? recreatedBy : `field manager "${recreatedBy}"`) : undefined;
    },
  };
}

/** A cordon/uncordon/drain: spec.unschedulable reads back, and a drain leaves only DaemonSet, mirror and finished pods. */
export function createNodeCheck(options: { node: string; unschedulable: boolean; drained?: boolean }): Check {
  const label = `node ${options.node}`;
  let session: WatchSession;
  let manager: string | undefined;
  const leftovers = () =>
    session.items(`${label}:pods`).filter((pod) => {
      const controller = (pod.metadata?.ownerReferences ?? []).find((owner: any) => owner.controller);
      return controller?.kind !== 'DaemonSet' && !pod.metadata?.annotations?.['kubernetes.io/config.mirror'] && !['Succeeded', 'Failed'].includes(pod.status?.phase);
    });
  return {
    label,
    async start(watchSession) {
      session = watchSession;
      const opened = [session.watch(label, '/api/v1/nodes', { fieldSelector: `metadata.name=${options.node}` })];
      if (options.drained) opened.push(session.watch(`${label}:pods`, '/api/v1/pods', { fieldSelector: `spec.nodeName=${options.node}` }));
      await Promise.all(opened);
    },
    evaluate() {
      const node = session.items(label)[0];
      if (!node) return pending(`waiting for ${label}`);
      if (Boolean(node.spec?.unschedulable) !== options.unschedulable) {
        manager = managerOfField(node, ['spec', 'unschedulable']);
        return { status: 'reverted', summary: `${label} is ${node.spec?.unschedulable ? 'unschedulable' : 'schedulable'} again`, evidence: [{ read: `get ${label}`, text: `spec.unschedulable: ${Boolean(node.spec?.unschedulable)}` }] };
      }
      const state = options.unschedulable ? 'cordoned (SchedulingDisabled)' : 'schedulable';
      if (options.drained) {
        const left = leftovers();
        const lines = left.map((pod) => `pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${pod.metadata?.deletionTimestamp ? 'Terminating' : pod.status?.phase}`);
        if (left.length > 0) return pending(`${label} still runs ${left.length} pod(s) to evict`, [{ read: `pods on ${label}`, text: lines.join('\n') }]);
        return { status: 'ok', summary: `${label} is ${state} and drained`, evidence: [{ read: `get ${label}`, text: `${state}; no evictable pods left` }] };
      }
      return { status: 'ok', summary: `${label} is ${state}`, evidence: [{ read: `get ${label}`, text: `spec.unschedulable: ${options.unschedulable}` }] };
    },
    atDeadline() {
      return this.evaluate();
    },
    async explainRevert() {
      return manager ? `field manager "${manager}"` : undefined;
    },
  };
}

type Segment = string | { name: string };
type Leaf = { segments: Segment[]; path: string; value: unknown };

const display = (segments: Segment[]) => segments.map((segment, index) => (typeof segment === 'string' ? `${index ? '.' : ''}${segment}` : `[name=${segment.name}]`)).join('');

/** The scalar leaves of a patch/manifest, e.g. spec.template.spec.containers[name=web].image = "web:2". */
export function leavesOf(value: unknown, segments: Segment[] = []): Leaf[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((item) => item && typeof item === 'object' && typeof item.name === 'string')) return value.flatMap((item) => leavesOf(item, [...segments, { name: item.name }]));
    return [{ segments, path: display(segments), value }];
  }
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => leavesOf(child, [...segments, key]));
  return [{ segments, path: display(segments), value }];
}

/** Reads a leaf back from an object. */
export function readLeaf(object: unknown, segments: Segment[]): unknown {
  let current: any = object;
  for (const segment of segments) {
    if (current === undefined || current === null) return undefined;
    current = typeof segment === 'string' ? current[segment] : Array.isArray(current) ? current.find((item: any) => item?.name === segment.name) : undefined;
  }
  return current;
}

const ignoredLeaf = (path: string) => /^(apiVersion|kind|status\b|metadata\.(resourceVersion|uid|generation|creationTimestamp|managedFields|namespace|name)\b)/.test(path);

/**
 * The fields a patch or apply set: those that read back after the call are the change; any of them set back later is
 * a revert. Fields the server normalised (quantities, defaults) never read back as sent and are only noted.
 */
export function createFieldsCheck(options: { ref: ObjectRef; desired: unknown }): Check {
  const { ref } = options;
  const leaves = leavesOf(options.desired).filter((leaf) => !ignoredLeaf(leaf.path));
  let session: WatchSession;
  let effective: Leaf[] | undefined;
  let notReadBack: string[] = [];
  let manager: string | undefined;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) || (typeof a !== 'object' && String(a) === String(b));
  return {
    label: ref.label,
    async start(watchSession) {
      session = watchSession;
      await session.watch(ref.label, ref.collection, { fieldSelector: `metadata.name=${ref.name}` });
    },
    evaluate() {
      const object = session.items(ref.label)[0];
      if (!object) return session.deleted(ref.label).size > 0 ? { status: 'regressed', summary: `${ref.label} was deleted`, evidence: [] } : pending(`waiting for ${ref.label}`);
      if (!effective) {
        effective = leaves.filter((leaf) => same(readLeaf(object, leaf.segments), leaf.value));
        notReadBack = leaves.filter((leaf) => !effective!.includes(leaf)).map((leaf) => leaf.path);
      }
      const moved = effective.filter((leaf) => !same(readLeaf(object, leaf.segments), leaf.value));
      if (moved.length > 0) {
        manager = managerOfField(object, moved[0].segments);
        // A Secret's values never go into evidence, redacted or not: the path says enough.
        const hide = /\/secrets$/.test(ref.collection);
        // Other values are shown as redaction shows them in every tool output: by key (DB_PASSWORD, an env var's value…).
        const shownLive = redactObject(object);
        const shownDesired = redactObject(options.desired);
        const lines = moved
          .slice(0, 10)
          .map((leaf) => (hide ? `${leaf.path} changed since the call` : `${leaf.path} is ${JSON.stringify(readLeaf(shownLive, leaf.segments)) ?? 'unset'} (set to ${JSON.stringify(readLeaf(shownDesired, leaf.segments))})`));
        return { status: 'reverted', summary: `${ref.label}: ${lines[0]}`, evidence: [{ read: `get ${ref.label}`, text: lines.join('\n') }] };
      }
      const note = notReadBack.length ? `\nnot read back as sent (normalised by the server?): ${notReadBack.slice(0, 10).join(', ')}` : '';
      return { status: 'ok', summary: `${ref.label}: ${effective.length} changed field(s) read back`, evidence: [{ read: `get ${ref.label}`, text: `${effective.length} field(s) read back as set${note}` }] };
    },
    atDeadline() {
      return this.evaluate();
    },
    async explainRevert() {
      return manager ? `field manager "${manager}"` : undefined;
    },
  };
}
