/**
 * Issue 31: the objects a Helm preview reports, read from the exact manifest text its digest covers — every document
 * (hooks and List items included), metadata.namespace as written — plus, for an upgrade or rollback, the live
 * objects the new manifest no longer has (helm deletes them).
 */
import { describe, expect, it } from 'vitest';
import { manifestObjectsOf, touchedObjects } from '../../src/tools/helm/manifest-objects.ts';

const manifest = `---
# Source: app/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-settings
---
# Source: app/templates/elsewhere.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: app-leak, namespace: prod}
---
# an empty document (a template rendered to nothing)
---
apiVersion: v1
kind: List
items:
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: app-admin}}
---
# Source: app/templates/broken.yaml
kind: [unclosed
`;

describe('the objects of a rendered manifest', () => {
  it('names every document with its kind, name and written namespace; an unreadable one is reported without a kind', () => {
    expect(manifestObjectsOf(manifest)).toEqual([
      { kind: 'ConfigMap', apiVersion: 'v1', name: 'app-settings' },
      { kind: 'ConfigMap', apiVersion: 'v1', name: 'app-leak', namespace: 'prod' },
      { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', name: 'app-admin' },
      {},
    ]);
  });

  it('an upgrade also touches the live objects it drops (deleted), not the ones it keeps', () => {
    const live = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-settings}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: old-token, namespace: prod}\n`;
    const proposed = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-settings}\n`;
    expect(touchedObjects(live, proposed)).toEqual([
      { kind: 'ConfigMap', apiVersion: 'v1', name: 'app-settings' },
      { kind: 'Secret', apiVersion: 'v1', name: 'old-token', namespace: 'prod', removed: true },
    ]);
    expect(touchedObjects('', proposed)).toEqual([{ kind: 'ConfigMap', apiVersion: 'v1', name: 'app-settings' }]);
  });
});
