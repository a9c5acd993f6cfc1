import { describe, expect, it } from 'vitest';
import { renderDiff } from './k8s-diff.ts';
import { normalizeForDiff } from './diff-normalize.ts';

/** A Deployment as the API server returns it, and the same one after a rollback to a ReplicaSet's template. */
const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', resourceVersion: '812', generation: 3, uid: 'u-1', creationTimestamp: '2026-11-23T10:00:00Z', managedFields: [{ manager: 'kubectl' }], annotations: { 'deployment.kubernetes.io/revision': '2' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.28', ports: [{ containerPort: 80, protocol: 'TCP' }] }], restartPolicy: 'Always' } },
  },
  status: { replicas: 2, readyReplicas: 2 },
};
// the ReplicaSet's template: `creationTimestamp: null`, keys in another order, only the image differs
const rolledBack = {
  ...live,
  metadata: { ...live.metadata, resourceVersion: '813', generation: 4 },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    replicas: 2,
    template: { spec: { restartPolicy: 'Always', containers: [{ image: 'nginx:1.27', ports: [{ protocol: 'TCP', containerPort: 80 }], name: 'web' }] }, metadata: { creationTimestamp: null, labels: { app: 'web' } } },
  },
  status: { replicas: 2, readyReplicas: 1 },
};

describe('preview diffs compare normalised objects (issue 37 item 8)', () => {
  it('a rollback that only changes the image diffs as one line out, one line in', () => {
    const diff = renderDiff({ summary: 'rolled back', before: [{ key: 'deployment.apps/web', object: live }], after: [{ key: 'deployment.apps/web', object: rolledBack }] });
    const changed = diff.split('\n').filter((line) => /^[+-]/.test(line) && !/^(\+\+\+|---) /.test(line));
    expect(changed).toEqual(['-          image: nginx:1.28', '+          image: nginx:1.27']);
    expect(diff).not.toContain('creationTimestamp');
  });

  it('drops server-managed fields, keeps apiVersion, kind and metadata first and sorts every other key', () => {
    const normalized = normalizeForDiff(rolledBack);
    expect(Object.keys(normalized)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(Object.keys(normalized['metadata'] as object)).toEqual(['name', 'annotations', 'namespace']);
    expect(Object.keys(normalized['spec'] as object)).toEqual(['replicas', 'selector', 'template']);
    expect((normalized['spec'] as { template: { metadata: object } }).template.metadata).toEqual({ labels: { app: 'web' } });
    // list order is meaningful and kept; the input is left as it was
    expect(rolledBack.spec.template.metadata).toHaveProperty('creationTimestamp', null);
  });

  it('still shows a real change (an annotation set on the template)', () => {
    const annotated = { ...live, spec: { ...live.spec, template: { ...live.spec.template, metadata: { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-23T11:00:00Z' } } } } };
    expect(renderDiff({ summary: 'restarted', before: [{ key: 'd', object: live }], after: [{ key: 'd', object: annotated }] })).toContain('+        kubectl.kubernetes.io/restartedAt: 2026-11-23T11:00:00Z');
  });
});
