/**
 * Regression tests from the adversarial review of the MCP server: each case is a leak, bypass or wrong
 * answer that was found by probing the tools against kube-sim and the real kubectl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
const PASSWORD = 'hunter2-review-secret';
const call = (name: string, input: Record<string, unknown>) => harness.call(name, input);

beforeAll(async () => {
  harness = await startKubeHarness();
  const applied = await call('k8s_apply', { content: MANIFEST });
  expect(applied.isError, applied.text).toBeFalsy();
});
afterAll(() => harness?.close());

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: review-config
  annotations: {a-db-password: ${PASSWORD}, example.com/api-token: ${PASSWORD}, example.com/owner: team-a}
data:
  password: ${PASSWORD}
  color: blue
  db-token: |
    first-line-${PASSWORD}

    after-a-blank-${PASSWORD}
  zz-last: plain
---
apiVersion: v1
kind: Secret
metadata: {name: review-secret}
stringData: {password: ${PASSWORD}, username: admin}
`;

describe('review: redaction', () => {
  it('k8s_describe of a ConfigMap hides the value of a sensitive key (kubectl prints it on its own lines)', async () => {
    const described = await call('k8s_describe', { resource_type: 'configmap', name: 'review-config' });
    expect(described.isError, described.text).toBeFalsy();
    expect(described.text).not.toContain(PASSWORD);
    // the entries are still there, and harmless values are still shown
    expect(described.text).toMatch(/^password:\n-+\n\[REDACTED\]$/m);
    expect(described.text).toMatch(/^color:\n-+\nblue$/m);
    expect(described.text).toMatch(/^zz-last:\n-+\nplain$/m);
    const listed = await call('k8s_describe', { resource_type: 'cm' });
    expect(listed.text).toContain('review-config');
    expect(listed.text).not.toContain(PASSWORD);
  });

  it('k8s_describe hides sensitive annotations, on the header line and with "/" in the key', async () => {
    const described = await call('k8s_describe', { resource_type: 'configmap', name: 'review-config' });
    expect(described.text).not.toContain(PASSWORD);
    expect(described.text).toMatch(/^Annotations:\s+a-db-password: \[REDACTED\]$/m);
    expect(described.text).toMatch(/^\s+example\.com\/api-token: \[REDACTED\]$/m);
    expect(described.text).toMatch(/^\s+example\.com\/owner: team-a$/m);
  });
});

describe('review: k8s_diff tells the truth', () => {
  it('apply of a changed object is reported as configured, not unchanged', async () => {
    const diff = await call('k8s_diff', {
      operation: 'apply',
      content: MANIFEST.replace('  color: blue', '  color: red'),
    });
    expect(diff.isError, diff.text).toBeFalsy();
    expect(diff.text).toContain('+  color: red');
    expect(diff.text).toMatch(/^configmap\/review-config configured \(server dry run\)$/m);
    // the same manifest again really is a no-op
    const same = await call('k8s_diff', { operation: 'apply', content: MANIFEST });
    expect(same.text).toMatch(/^configmap\/review-config unchanged \(server dry run\)$/m);
    expect(same.text).toMatch(/^secret\/review-secret unchanged \(server dry run\)$/m);
    expect(same.text).toContain('No changes');
  });

  it('a Secret value change is shown as changed (without either value), not as "No changes"', async () => {
    for (const input of [
      { operation: 'apply', content: `apiVersion: v1\nkind: Secret\nmetadata: {name: review-secret}\nstringData: {password: new-${PASSWORD}}\n` },
      { operation: 'patch', resource_type: 'secret', name: 'review-secret', patch: JSON.stringify({ stringData: { password: `other-${PASSWORD}` } }), patch_type: 'merge' },
    ]) {
      const diff = await call('k8s_diff', input);
      expect(diff.isError, diff.text).toBeFalsy();
      expect(diff.text).not.toContain('No changes');
      expect(diff.text).toContain('-  password: "[REDACTED]"');
      expect(diff.text).toContain('+  password: "[REDACTED] (changed)"');
      // an unchanged key stays unchanged, so the reviewer sees exactly which key moves
      expect(diff.text).not.toContain('+  username');
      expect(diff.text).not.toContain(PASSWORD);
      expect(diff.text).not.toContain(Buffer.from(`new-${PASSWORD}`).toString('base64'));
      expect(diff.text).not.toContain(Buffer.from(PASSWORD).toString('base64'));
      expect(diff.structured?.changed).toBe(true);
      expect(JSON.stringify(diff.structured)).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    }
    const live = await call('k8s_get', { resource_type: 'secret', name: 'review-secret', output: 'json' });
    expect(JSON.parse(live.text).data).toEqual({ password: '[REDACTED]', username: '[REDACTED]' });
  });
});
