/**
 * Issue 31, scope for what a Helm call writes, rule by rule: where each object of a rendered manifest lands, which
 * of them a scope limited to namespaces refuses (named), the card's flags, custom resources placed by the cluster's
 * CRDs (unreadable CRDs refuse), and how the namespaces written are kept in the approval's `namespace` column.
 */
import type { MemberScope } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { createClusterGate } from './cluster-gate.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import { manifestScopeRefusal, placeObjects, placementRisks, writtenObjectsOf, type WrittenObject } from './manifest-scope.ts';
import type { ToolGateway } from '../../platform/ports/tool-gateway.ts';
import { decodeNamespaces, encodeNamespaces } from '../../adapters/storage/stores/approval-store.ts';

const configMap = (name: string, namespace?: string): WrittenObject => ({ kind: 'ConfigMap', apiVersion: 'v1', name, ...(namespace ? { namespace } : {}) });
const binding: WrittenObject = { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', name: 'everyone-admin' };

describe('where the objects of a manifest land', () => {
  it.each<[string, WrittenObject[], boolean[], { namespaces: string[]; clusterScoped: string[]; unplaced: string[] }]>([
    ['objects without a namespace land in the release namespace', [configMap('a'), configMap('b')], [false, false], { namespaces: ['staging'], clusterScoped: [], unplaced: [] }],
    ['metadata.namespace sends an object elsewhere', [configMap('a'), configMap('leak', 'prod')], [false, false], { namespaces: ['staging', 'prod'], clusterScoped: [], unplaced: [] }],
    ['a cluster-scoped kind is in no namespace, whatever it says', [{ ...binding, namespace: 'staging' }], [true], { namespaces: ['staging'], clusterScoped: ['ClusterRoleBinding everyone-admin'], unplaced: [] }],
    ['an unreadable document cannot be placed', [{}], [false], { namespaces: ['staging'], clusterScoped: [], unplaced: ['document (unnamed)'] }],
    ['a deleted object is named as deleted', [{ ...configMap('old', 'prod'), removed: true }], [false], { namespaces: ['staging', 'prod'], clusterScoped: [], unplaced: [] }],
  ])('%s', (_name, objects, clusterScoped, expected) => {
    const placement = placeObjects(objects, 'staging', clusterScoped);
    expect({ namespaces: placement.namespaces, clusterScoped: placement.clusterScoped, unplaced: placement.unplaced }).toEqual(expected);
  });

  it('the preview objects are read defensively: anything but a list is "unknown", junk entries cannot be placed', () => {
    expect(writtenObjectsOf(undefined)).toBeUndefined();
    expect(writtenObjectsOf({ kind: 'ConfigMap' })).toBeUndefined();
    expect(writtenObjectsOf([{ kind: 'ConfigMap', name: 'a', namespace: 'prod', extra: 1 }, 'junk', { kind: 3 }])).toEqual([{ kind: 'ConfigMap', name: 'a', namespace: 'prod' }, {}, {}]);
  });
});

describe('which objects a scope refuses', () => {
  const placement = placeObjects([configMap('settings'), configMap('leak', 'prod'), { ...configMap('old', 'pay-eu'), removed: true }, binding, {}], 'staging', [false, false, false, true, false]);
  it.each<[string, MemberScope | undefined, string | undefined]>([
    ['no scope: everything allowed', undefined, undefined],
    ['a scope of clusters only: the manifest cannot leave it (the cluster is judged on the arguments)', { clusters: ['alpha'] }, undefined],
    [
      'staging only: prod, pay-eu, the binding and the unreadable document are named',
      { namespaces: ['staging'] },
      'Refused: helm_install writes objects outside your scope in cluster alpha (you may use the namespaces staging): ConfigMap prod/leak (namespace prod), ConfigMap pay-eu/old (deleted) (namespace pay-eu), ClusterRoleBinding everyone-admin (cluster-scoped), document (unnamed) (unreadable, cannot be placed in a namespace). Nothing was run.',
    ],
    [
      'globs match: pay-* covers pay-eu',
      { namespaces: ['staging', 'prod', 'pay-*'] },
      'Refused: helm_install writes objects outside your scope in cluster alpha (you may use the namespaces staging, prod, pay-*): ClusterRoleBinding everyone-admin (cluster-scoped), document (unnamed) (unreadable, cannot be placed in a namespace). Nothing was run.',
    ],
  ])('%s', (_name, scope, expected) => {
    expect(manifestScopeRefusal({ scope, tool: 'helm_install', cluster: 'alpha', placement })).toBe(expected);
  });

  it('a chart of many objects is named in part, with how many more', () => {
    const many = placeObjects(Array.from({ length: 12 }, (_, index) => configMap(`cm${index}`, 'prod')), 'staging', []);
    expect(manifestScopeRefusal({ scope: { namespaces: ['staging'] }, tool: 'helm_upgrade', cluster: 'alpha', placement: many })).toMatch(/ConfigMap prod\/cm7 \(namespace prod\) and 4 more\. Nothing was run\.$/);
  });
});

describe("the card's flags", () => {
  it.each<[string, WrittenObject[], boolean[], string[]]>([
    ['only the release namespace: no flag', [configMap('a')], [false], []],
    ['another namespace: MULTIPLE_NAMESPACES naming them all', [configMap('a'), configMap('leak', 'prod')], [false, false], ['MULTIPLE_NAMESPACES: Writes to 2 namespaces (staging, prod), not only the release namespace staging: ConfigMap prod/leak.']],
    ['a cluster-scoped object: CLUSTER_SCOPED_OBJECTS', [binding], [true], ['CLUSTER_SCOPED_OBJECTS: Writes objects outside any namespace (cluster-scoped): ClusterRoleBinding everyone-admin.']],
  ])('%s', (_name, objects, clusterScoped, expected) => {
    expect(placementRisks(placeObjects(objects, 'staging', clusterScoped)).map((risk) => `${risk.code}: ${risk.message}`)).toEqual(expected);
  });
});

describe("custom resources are placed by the cluster's CRDs", () => {
  const directory = { list: async () => [] } as unknown as ClusterDirectory;
  const crds = JSON.stringify({ items: [{ spec: { group: 'example.com', scope: 'Cluster', names: { kind: 'ClusterWidget', plural: 'clusterwidgets' } } }, { spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' } } }] });
  const gateWith = (answer: { isError: boolean; text: string }) => createClusterGate({ directory, tools: { callTool: async () => answer } as unknown as Pick<ToolGateway, 'callTool'> });
  const objects: WrittenObject[] = [{ kind: 'Widget', apiVersion: 'example.com/v1', name: 'w' }, { kind: 'ClusterWidget', apiVersion: 'example.com/v1', name: 'global' }];
  const scoped = { namespaces: ['staging'] };

  it('a cluster-scoped custom resource in a chart is refused for a member limited to namespaces; a namespaced one is not', async () => {
    const judged = await gateWith({ isError: false, text: crds }).judgeWrites({ tool: 'helm_install', cluster: 'alpha', releaseNamespace: 'staging', objects, scopes: [scoped] });
    expect(judged).toEqual({ ok: false, text: expect.stringMatching(/: ClusterWidget global \(cluster-scoped\)\. Nothing was run\.$/) });
    const namespacedOnly = await gateWith({ isError: false, text: crds }).judgeWrites({ tool: 'helm_install', cluster: 'alpha', releaseNamespace: 'staging', objects: objects.slice(0, 1), scopes: [scoped] });
    expect(namespacedOnly).toMatchObject({ ok: true, placement: { namespaces: ['staging'] } });
  });

  it('CRDs that cannot be read refuse a scoped member (fail closed) but only inform the card of an unscoped one', async () => {
    const unreadable = gateWith({ isError: true, text: 'forbidden' });
    expect(await unreadable.judgeWrites({ tool: 'helm_upgrade', cluster: 'beta', releaseNamespace: 'staging', objects, scopes: [scoped] })).toEqual({ ok: false, text: expect.stringMatching(/^Refused: the CustomResourceDefinitions of cluster beta could not be read/) });
    expect(await unreadable.judgeWrites({ tool: 'helm_upgrade', cluster: 'beta', releaseNamespace: 'staging', objects, scopes: [undefined] })).toMatchObject({ ok: true, placement: { namespaces: ['staging'] } });
  });

  it('without the objects (the preview failed), a scoped member is refused and an unscoped one is not; other tools are not judged', async () => {
    const gate = gateWith({ isError: false, text: crds });
    expect(await gate.judgeWrites({ tool: 'helm_rollback', cluster: 'alpha', releaseNamespace: 'staging', objects: undefined, scopes: [scoped] })).toEqual({ ok: false, text: expect.stringMatching(/^Refused: the objects helm_rollback would write could not be read/) });
    expect(await gate.judgeWrites({ tool: 'helm_rollback', cluster: 'alpha', releaseNamespace: 'staging', objects: undefined, scopes: [undefined] })).toEqual({ ok: true });
    expect(await gate.judgeWrites({ tool: 'k8s_scale', cluster: 'alpha', releaseNamespace: 'staging', objects: undefined, scopes: [scoped] })).toEqual({ ok: true });
  });
});

describe("the namespaces written, kept in the approval's namespace column", () => {
  it.each<[string, Parameters<typeof encodeNamespaces>[0], string | null]>([
    ['no namespace', {}, null],
    ['one namespace, as every row before', { namespace: 'shop' }, 'shop'],
    ['several', { namespace: 'staging', namespaces: ['staging', 'prod'] }, 'staging,prod'],
    ['cluster-scoped objects too', { namespace: 'staging', namespaces: ['staging', 'prod'], clusterScopedWrites: true }, 'staging,prod,*'],
    ['one namespace and cluster-scoped objects', { namespace: 'staging', clusterScopedWrites: true }, 'staging,*'],
  ])('%s', (_name, record, column) => {
    expect(encodeNamespaces(record)).toBe(column);
    expect(decodeNamespaces(column)).toEqual(record);
  });
});
