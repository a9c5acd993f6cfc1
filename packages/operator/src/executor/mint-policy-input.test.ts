import { describe, expect, it } from 'vitest';
import { resourcePath, type ApprovedAccess, type KubeObject, type SkyfloApprovalDocument } from '@skyflo/protocol';
import { mintNamespaces, mintObjects, mintPolicyInput, recordDryRuns } from './mint-policy-input.ts';
import type { OwnKube, ResourceInfo } from './grant/own-kube.ts';

const deployments: ResourceInfo = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, verbs: ['get', 'patch'], shortNames: [], singular: 'deployment' } as unknown as ResourceInfo;
const secrets: ResourceInfo = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, verbs: ['get'], shortNames: [], singular: 'secret' } as unknown as ResourceInfo;

const live: Record<string, KubeObject> = {
  '/apis/apps/v1/namespaces/shop/deployments/web': { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 3 } } as KubeObject,
  '/api/v1/namespaces/shop/secrets/db': { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, data: { password: 'aHVudGVyMg==' } } as KubeObject,
};

/** The executor's own view of a tiny cluster: two kinds, the live objects above. */
const kube: Pick<OwnKube, 'resolve' | 'get' | 'path'> = {
  async resolve(type) {
    return type === 'secrets' ? secrets : deployments;
  },
  async get(path) {
    return live[path];
  },
  path: resourcePath,
};

const entry = (patch: Partial<ApprovedAccess>): ApprovedAccess => ({ apiGroup: 'apps', resource: 'deployments', namespace: 'shop', name: 'web', verbs: ['patch'], ...patch });

const document = {
  name: 'a-1',
  spec: { conversationId: 'c', callId: 'k', tool: 'k8s_scale', cluster: { name: 'prod', server: 'https://x' }, argsHash: 'h', requestedBy: { id: 'u1', email: 'mia@example.com' }, requestedAt: '2026-11-27T15:00:00Z' },
  status: { decision: 'approved', decidedAt: '2026-11-27T15:01:00Z', expiresAt: '2026-11-27T15:16:00Z', signature: 's' },
} as SkyfloApprovalDocument;

describe("the executor's policy input for a mint", () => {
  it('a scale: before is the live deployment, after the same deployment with the replicas its own dry-run of the Scale gave', async () => {
    const dryRuns = new Map([['/apis/apps/v1/namespaces/shop/deployments/web/scale', { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 0 } } as KubeObject]]);
    const [object] = await mintObjects({ access: [entry({ subresource: 'scale' })], dryRuns }, kube);
    expect(object).toEqual({ before: live['/apis/apps/v1/namespaces/shop/deployments/web'], after: { ...live['/apis/apps/v1/namespaces/shop/deployments/web'], spec: { replicas: 0 } } });
  });

  it('a patch: after is the dry-run object; a delete: after is null; a create: before is null', async () => {
    const patched = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 3, paused: true } } as KubeObject;
    const created = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'new', namespace: 'shop' }, spec: { replicas: 1 } } as KubeObject;
    const dryRuns = new Map([
      ['/apis/apps/v1/namespaces/shop/deployments/web', patched],
      ['/apis/apps/v1/namespaces/shop/deployments/new', created],
    ]);
    const objects = await mintObjects({ access: [entry({}), entry({ verbs: ['delete'] }), entry({ name: 'new', verbs: ['create', 'patch'] })], dryRuns }, kube);
    expect(objects).toEqual([
      { before: live['/apis/apps/v1/namespaces/shop/deployments/web'], after: patched },
      { before: live['/apis/apps/v1/namespaces/shop/deployments/web'], after: null },
      { before: null, after: created },
    ]);
  });

  it("never shows a Secret's values, and leaves out a Helm release's storage Secrets", async () => {
    const objects = await mintObjects({ access: [entry({ apiGroup: '', resource: 'secrets', name: 'db', verbs: ['delete'] }), entry({ apiGroup: '', resource: 'secrets', name: 'sh.helm.release.v1.shop.v2', verbs: ['create'], helmRelease: { release: 'shop' } })], dryRuns: new Map() }, kube);
    expect(objects).toEqual([{ before: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' } }, after: null }]);
  });

  it('the namespaces are those the grant writes, the call’s own first', () => {
    expect(mintNamespaces({ namespace: 'shop' }, [entry({ namespace: 'web' }), entry({}), entry({ namespace: undefined })])).toEqual(['shop', 'web']);
    // a namespace argument the grant does not write in is not a namespace of the call
    expect(mintNamespaces({ namespace: 'elsewhere' }, [entry({})])).toEqual(['shop']);
  });

  it('the rest comes from the signed approval, the executor and the pure risk rules — the requester has no role it could confirm', () => {
    const args = { name: 'web', resource_type: 'deployment', replicas: 0, namespace: 'shop' };
    const input = mintPolicyInput({ document, args, access: [entry({ subresource: 'scale' })], dryRuns: new Map(), clusterName: 'prod', clusterLabels: { env: 'production' }, now: new Date('2026-11-27T15:02:00Z') }, []);
    expect(input).toEqual({
      tool: 'k8s_scale',
      args,
      cluster: { name: 'prod', labels: { env: 'production' } },
      namespaces: ['shop'],
      objects: [],
      risks: ['SCALE_TO_ZERO'],
      requester: { email: 'mia@example.com', role: '', groups: [] },
      now: new Date('2026-11-27T15:02:00Z'),
    });
  });

  it('records the dry-runs the grant computation makes, by path without the query', async () => {
    const answer = { kind: 'Deployment' } as KubeObject;
    const recording = recordDryRuns({ dryRun: async () => answer } as unknown as OwnKube);
    await recording.kube.dryRun('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=skyflo', {});
    expect([...recording.dryRuns]).toEqual([['/apis/apps/v1/namespaces/shop/deployments/web', answer]]);
  });
});
