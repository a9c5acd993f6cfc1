import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadWebhookCredentials } from './webhook-credentials.ts';

/** An AdmissionConfiguration whose webhook kubeconfig has these users (and, optionally, a current context's user). */
function configWith(users: Record<string, Record<string, string>>, currentUser?: string): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'kube-sim-admission-'));
  const kubeconfig = path.join(directory, 'webhook-kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      users: Object.entries(users).map(([name, user]) => ({ name, user })),
      ...(currentUser ? { 'current-context': 'c', contexts: [{ name: 'c', context: { user: currentUser } }] } : {}),
    }),
  );
  const config = path.join(directory, 'admission.yaml');
  writeFileSync(config, toYaml({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AdmissionConfiguration', plugins: [{ name: 'ValidatingAdmissionWebhook', configuration: { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmissionConfiguration', kubeConfigFile: kubeconfig } }] }));
  return config;
}

describe('webhook credentials, matched as kube-apiserver matches them', () => {
  const credentials = loadWebhookCredentials(
    configWith({ 'hook.example.com:8443': { token: 'exact' }, '*.example.com': { token: 'parent' }, 'plain.example.org': { token: 'no-port' }, '*': { token: 'any' }, basic: { username: 'u', password: 'p' } }),
  );
  it.each([
    ['the exact host and port', 'https://hook.example.com:8443/v', 'Bearer exact'],
    ['a `*.` parent domain (the host as the URL gives it: no port here)', 'https://other.example.com/v', 'Bearer parent'],
    ['a host named without the default port 443', 'https://plain.example.org:443/v', 'Bearer no-port'],
    ['`*.` does not cover another port', 'https://other.example.com:8443/v', 'Bearer any'],
    ['`*` for any other host', 'https://127.0.0.1:40000/v', 'Bearer any'],
  ])('%s', (_name, url, header) => {
    expect(credentials(new URL(url))).toBe(header);
  });

  it('falls back to the current context, then calls anonymously', () => {
    expect(loadWebhookCredentials(configWith({ basic: { username: 'u', password: 'p' } }, 'basic'))(new URL('https://x:1'))).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(loadWebhookCredentials(configWith({ 'a.b:1': { token: 't' } }))(new URL('https://c.d:1'))).toBeUndefined();
  });

  it('refuses a client certificate it cannot present', () => {
    expect(() => loadWebhookCredentials(configWith({ '*': { 'client-certificate': '/c.pem' } }))).toThrow(/kube-sim presents only bearer tokens and basic auth/);
  });
});
