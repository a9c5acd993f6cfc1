import { describe, expect, it } from 'vitest';
import { rulesForAccess } from './mint-credential.ts';

describe('rulesForAccess', () => {
  it('grants each approved verb on the named object only, get to read it, and create by resource (the webhook checks the name)', () => {
    const rules = rulesForAccess([
      { apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging', name: 'web', verbs: ['patch'] },
      { apiGroup: '', resource: 'configmaps', namespace: 'staging', name: 'flags', verbs: ['create', 'update'] },
      { apiGroup: '', resource: 'pods', subresource: 'eviction', namespace: 'prod', name: 'web-1', verbs: ['create'] },
      { apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'reader', verbs: ['delete'] },
    ]);
    expect(Object.fromEntries(rules.namespaced)).toEqual({
      staging: [
        { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'], resourceNames: ['web'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'], resourceNames: ['web'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'update'], resourceNames: ['flags'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      ],
      prod: [
        { apiGroups: [''], resources: ['pods/eviction'], verbs: ['get', 'create'], resourceNames: ['web-1'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'], resourceNames: ['web-1'] },
      ],
    });
    expect(rules.cluster).toEqual([{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['get', 'list', 'watch', 'delete'], resourceNames: ['reader'] }]);
  });

  it("lets a Helm release list Secrets in its namespace (Helm finds its release Secrets by label), and nothing wider", () => {
    const rules = rulesForAccess([
      { apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'sh.helm.release.v1.shop.v2', verbs: ['create', 'update', 'patch'] },
      { apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'sh.helm.release.v1.shop.v1', verbs: ['update', 'patch'] },
      { apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'db-password', verbs: ['create'] },
    ]);
    const staging = rules.namespaced.get('staging')!;
    expect(staging.filter((rule) => !rule.resourceNames)).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    expect(rulesForAccess([{ apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'db-password', verbs: ['update'] }]).namespaced.get('staging')!.every((rule) => rule.resourceNames)).toBe(true);
  });

  it("lets a rollback read its release's own revisions by name (the one it restores), and no other release's", () => {
    const staging = rulesForAccess([
      { apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'sh.helm.release.v1.shop.v3', verbs: ['create', 'update', 'patch'] },
      { apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'sh.helm.release.v1.shop.v2', verbs: ['update', 'patch'] },
    ]).namespaced.get('staging')!;
    expect(staging.filter((rule) => rule.verbs.join() === 'get')).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['sh.helm.release.v1.shop.v1', 'sh.helm.release.v1.shop.v2', 'sh.helm.release.v1.shop.v3'] },
    ]);
    expect(staging.flatMap((rule) => rule.resourceNames ?? []).some((name) => !name.startsWith('sh.helm.release.v1.shop.'))).toBe(false);
  });
});
