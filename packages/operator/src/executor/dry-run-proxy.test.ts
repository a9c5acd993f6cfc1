import { describe, expect, it } from 'vitest';
import { parseResourcePath, refusal } from './dry-run-proxy.ts';

const patch = (path: string) => ({ method: 'PATCH' as const, path, body: {} });

describe('the dry-run proxy path rules', () => {
  it('parses resource paths of the core and named groups', () => {
    expect(parseResourcePath('/apis/apps/v1/namespaces/staging/deployments/web/scale')).toEqual({ group: 'apps', resource: 'deployments', namespace: 'staging', name: 'web', subresource: 'scale' });
    expect(parseResourcePath('/api/v1/namespaces/staging')).toEqual({ group: '', resource: 'namespaces', name: 'staging', namespace: undefined, subresource: undefined });
    expect(parseResourcePath('/apis/rbac.authorization.k8s.io/v1/clusterroles')).toMatchObject({ group: 'rbac.authorization.k8s.io', resource: 'clusterroles' });
  });

  it('refuses anything that is not one resource path', () => {
    for (const path of ['/version', '/api/v1/namespaces/a/pods/..', '/api/v1/namespaces/a/pods/x/y/z', '/apis/apps', '/api/v1/namespaces/a/pods/x?dryRun=', '/api/v1/namespaces/a/pods/%2e%2e']) {
      expect(parseResourcePath(path), path).toBeUndefined();
      expect(refusal(patch(path), undefined)?.status, path).toBe(400);
    }
  });

  it('refuses Secrets, connect subresources and namespaces outside the allowed ones', () => {
    expect(refusal(patch('/api/v1/namespaces/a/secrets/db'), undefined)?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/a/pods/p/exec'), undefined)?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/a/serviceaccounts/default/token'), undefined)?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/b/configmaps/c'), ['a'])?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/b'), ['a'])?.status).toBe(403);
    expect(refusal(patch('/api/v1/nodes/n1'), ['a'])?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/a/configmaps/c'), ['a'])).toBeUndefined();
    expect(refusal(patch('/api/v1/nodes/n1'), undefined)).toBeUndefined();
  });
});
