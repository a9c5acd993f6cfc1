import { describe, expect, it } from 'vitest';
import { manifestDigestOf, previewHash } from '@skyflo/protocol/approval-hashes';
import { createHelmRenderStore, type HelmRender } from './helm-render-store.ts';
import { redactSecretValues } from './redact-secrets.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { kubeconfigOfIdentity } from './identity-kubeconfig.ts';

const render = (manifest: string, release = 'shop'): HelmRender => ({ release, namespace: 'staging', manifest, liveManifest: '', storage: { create: 1, update: [], delete: [] }, digest: manifestDigestOf(manifest) });
const approvalOf = (entry: HelmRender, previewText = 'diff') => ({ release: entry.release, namespace: entry.namespace, previewText, diffHash: previewHash(previewText, entry.digest) });

describe("the executor's own Helm renders", () => {
  it('finds the render an approval binds (preview text and digest), for that release only', () => {
    const store = createHelmRenderStore({ now: () => 0 });
    const first = render('kind: ConfigMap\n');
    const second = render('kind: Secret\n');
    store.remember(first);
    store.remember(second);
    expect(store.approved(approvalOf(second))).toBe(second);
    expect(store.approved({ ...approvalOf(second), previewText: 'another diff' })).toBeUndefined();
    expect(store.approved({ ...approvalOf(second), release: 'other' })).toBeUndefined();
  });

  it('forgets a render after its TTL, and the oldest past its size', () => {
    let now = 0;
    const store = createHelmRenderStore({ now: () => now, maxEntries: 2, ttlMs: 1000 });
    const [a, b, c] = ['a: 1\n', 'b: 1\n', 'c: 1\n'].map((manifest) => render(manifest));
    store.remember(a!);
    store.remember(b!);
    store.remember(c!);
    expect(store.approved(approvalOf(a!))).toBeUndefined();
    expect(store.approved(approvalOf(b!))).toBe(b);
    now = 1001;
    expect(store.approved(approvalOf(c!))).toBeUndefined();
  });
});

describe('Secret values out of a rendered manifest', () => {
  it("keeps every key and everything else byte for byte, in a List's Secrets too", () => {
    const manifest = [
      '---\n# Source: app/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: c2VjcmV0LXZhbHVl # base64\nstringData:\n  config: |\n    user=admin\n    pass=hunter22\n  token: "abc123xyz"\n',
      '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  password: not-a-secret\n',
      '---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: { name: listed }\n    data: { key: bGlzdGVkLXZhbHVl }\n',
    ].join('');
    const redacted = redactSecretValues(manifest);
    expect(redacted).toBe(
      [
        '---\n# Source: app/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: <redacted> # base64\nstringData:\n  config: <redacted>\n  token: <redacted>\n',
        '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  password: not-a-secret\n',
        '---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: { name: listed }\n    data: { key: <redacted> }\n',
      ].join(''),
    );
  });

  it('answers none of a document that does not parse', () => {
    const redacted = redactSecretValues('apiVersion: v1\nkind: Secret\ndata:\n  password: "unterminated\n');
    expect(redacted).not.toContain('unterminated');
  });
});

describe("the executor's identity as helm's kubeconfig", () => {
  it("turns an in-cluster ServiceAccount (client-node's tokenFile auth provider) into kubeconfig's tokenFile", () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'in-cluster', server: 'https://10.0.0.1:443', caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', skipTLSVerify: false }],
      users: [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } } }],
      contexts: [{ name: 'inClusterContext', cluster: 'in-cluster', user: 'inClusterUser' }],
      currentContext: 'inClusterContext',
    });
    const written = parse(kubeconfigOfIdentity(kubeConfig));
    expect(written.clusters[0].cluster).toEqual({ server: 'https://10.0.0.1:443', 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' });
    expect(written.users[0].user).toEqual({ tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' });
    expect(written['current-context']).toBe('executor');
  });
});
