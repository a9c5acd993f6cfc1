import { describe, expect, it } from 'vitest';
import { createSecretIndex } from './secret-index.ts';

const sky = (name: string, namespace: string, spec: unknown) => ({ apiVersion: 'skyflo.ai/v1', kind: 'SkyfloAI', metadata: { name, namespace }, spec });
const secret = (name: string, namespace: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } });

describe('createSecretIndex', () => {
  it('names the SkyfloAIs that read a Secret, in its namespace only, and forgets deleted ones', () => {
    const index = createSecretIndex();
    const oidc = { auth: { oidc: { issuerUrl: 'https://login.example.com', clientId: 'skyflo', clientSecretRef: { name: 'corp-oidc' } } }, alerts: { pagerDuty: { webhookSecretRef: { name: 'pd' }, runAs: 'a@example.com' } } };
    index.track(sky('a', 'team-a', oidc), false);
    index.track(sky('b', 'team-b', oidc), false);
    index.track(sky('c', 'team-a', {}), false);
    expect(index.readersOf(secret('corp-oidc', 'team-a'))).toEqual(['team-a/a']);
    expect(index.readersOf(secret('pd', 'team-b'))).toEqual(['team-b/b']);
    expect(index.readersOf(secret('unrelated', 'team-a'))).toEqual([]);
    // the operator's own generated Secret is not a user Secret: it never changes under running pods
    expect(index.readersOf(secret('a-secrets', 'team-a'))).toEqual([]);
    index.track(sky('a', 'team-a', oidc), true);
    expect(index.readersOf(secret('corp-oidc', 'team-a'))).toEqual([]);
  });

  it('follows a spec edit that drops the reference', () => {
    const index = createSecretIndex();
    index.track(sky('a', 'ns', { llm: { apiKeySecretRef: { name: 'llm' } } }), false);
    expect(index.readersOf(secret('llm', 'ns'))).toEqual(['ns/a']);
    index.track(sky('a', 'ns', {}), false);
    expect(index.readersOf(secret('llm', 'ns'))).toEqual([]);
  });
});
