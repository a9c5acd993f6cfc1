import { describe, expect, it } from 'vitest';
import { fieldsOf, removeUnappliedFields } from '../src/kube-sim/patch/managed-fields.ts';
import { applyMergePatch } from '../src/kube-sim/patch/merge-patch.ts';
import { applyConfiguration, applyStrategicMergePatch } from '../src/kube-sim/patch/strategic-merge-patch.ts';

const podSpec = {
  containers: [
    { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }], volumeMounts: [{ name: 'data', mountPath: '/data' }] },
    { name: 'sidecar', image: 'envoy:1' },
  ],
  volumes: [{ name: 'data', emptyDir: {} }],
  tolerations: [{ key: 'a', operator: 'Exists' }],
};

describe('strategic merge patch', () => {
  it.each([
    ['merges containers by name', { containers: [{ name: 'app', image: 'app:2' }] }, (result: any) => expect(result.containers.map((c: any) => `${c.name}:${c.image}`)).toEqual(['app:app:2', 'sidecar:envoy:1'])],
    ['appends a new container', { containers: [{ name: 'extra', image: 'x' }] }, (result: any) => expect(result.containers.map((c: any) => c.name)).toEqual(['app', 'sidecar', 'extra'])],
    ['merges env by name inside a container', { containers: [{ name: 'app', env: [{ name: 'B', value: '3' }] }] }, (result: any) => expect(result.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '3' }])],
    ['deletes a container with $patch: delete', { containers: [{ name: 'sidecar', $patch: 'delete' }] }, (result: any) => expect(result.containers.map((c: any) => c.name)).toEqual(['app'])],
    ['replaces a list with $patch: replace', { volumes: [{ $patch: 'replace' }, { name: 'other', emptyDir: {} }] }, (result: any) => expect(result.volumes).toEqual([{ name: 'other', emptyDir: {} }])],
    ['replaces lists without a merge key', { tolerations: [{ key: 'b', operator: 'Exists' }] }, (result: any) => expect(result.tolerations).toEqual([{ key: 'b', operator: 'Exists' }])],
    ['merges ports by containerPort', { containers: [{ name: 'app', ports: [{ containerPort: 443 }] }] }, (result: any) => expect(result.containers[0].ports).toEqual([{ containerPort: 80 }, { containerPort: 443 }])],
    ['merges volumeMounts by mountPath', { containers: [{ name: 'app', volumeMounts: [{ mountPath: '/data', name: 'renamed' }] }] }, (result: any) => expect(result.containers[0].volumeMounts).toEqual([{ name: 'renamed', mountPath: '/data' }])],
    ['removes keys set to null', { volumes: null }, (result: any) => expect(result.volumes).toBeUndefined()],
    ['strips $setElementOrder directives', { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }], containers: [{ name: 'app', image: 'app:3' }] }, (result: any) => expect(Object.keys(result).some((key) => key.startsWith('$'))).toBe(false)],
    ['deletes primitives with $deleteFromPrimitiveList', { finalizers: ['b'] , '$deleteFromPrimitiveList/finalizers': ['a'] }, (result: any) => expect(result.finalizers).toEqual(['b'])],
  ])('%s', (_label, patch, check) => {
    check(applyStrategicMergePatch({ ...structuredClone(podSpec), finalizers: ['a'] }, patch));
  });

  it('keeps only $retainKeys in a union field such as a deployment strategy', () => {
    const original = { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } };
    const result = applyStrategicMergePatch(original, { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } });
    expect(result).toEqual({ strategy: { type: 'Recreate' } });
  });

  it('merges service ports by port', () => {
    const result = applyStrategicMergePatch({ ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] }, { ports: [{ port: 80, targetPort: 9090 }] });
    expect(result.ports).toEqual([{ port: 80, targetPort: 9090 }, { port: 443 }]);
  });
});

describe('merge patch (RFC 7386)', () => {
  it('replaces lists and deletes nulls', () => {
    expect(applyMergePatch({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { c: null } })).toEqual({ a: [3], b: { d: 2 } });
  });
});

describe('server-side apply helpers', () => {
  it('merges applied containers by name and keeps others', () => {
    const live = { spec: { containers: [{ name: 'a', image: '1' }, { name: 'injected', image: 'mesh' }] } };
    const merged = applyConfiguration(live, { spec: { containers: [{ name: 'a', image: '2' }] } });
    expect(merged.spec.containers).toEqual([{ name: 'a', image: '2' }, { name: 'injected', image: 'mesh' }]);
  });

  it('computes FieldsV1 sets and removes fields the manager stopped applying', () => {
    const previous = fieldsOf({ metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'x', image: 'i' }, { name: 'y', image: 'j' }] } });
    expect(previous['f:spec']).toEqual({ 'f:containers': { 'k:{"name":"x"}': { '.': {}, 'f:name': {}, 'f:image': {} }, 'k:{"name":"y"}': { '.': {}, 'f:name': {}, 'f:image': {} } } });
    const next = fieldsOf({ metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'x', image: 'i' }] } });
    const live = { metadata: { labels: { a: '1', b: '2', kept: 'by-other' } }, spec: { containers: [{ name: 'x', image: 'i' }, { name: 'y', image: 'j' }] } };
    removeUnappliedFields(live, previous, next, [fieldsOf({ metadata: { labels: { kept: 'by-other' } } })]);
    expect(live).toEqual({ metadata: { labels: { a: '1', kept: 'by-other' } }, spec: { containers: [{ name: 'x', image: 'i' }] } });
  });
});
