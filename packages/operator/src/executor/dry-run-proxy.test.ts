import { describe, expect, it } from 'vitest';
import { refusal, routeOrRefusal, withoutSecretData } from './dry-run-proxy.ts';
import { pathOfRoute, routeDryRunPath } from './dry-run-route.ts';

const patch = (path: string, query?: Record<string, string | number | boolean>) => ({ method: 'PATCH' as const, path, body: {}, ...(query ? { query } : {}) });

describe('the dry-run router', () => {
  it.each([
    ['/apis/apps/v1/namespaces/staging/deployments/web/scale', { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'staging', name: 'web', subresource: 'scale' }],
    ['/apis/apps/v1/namespaces/staging/deployments', { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'staging' }],
    ['/api/v1/namespaces/staging', { group: '', version: 'v1', resource: 'namespaces', name: 'staging' }],
    ['/api/v1/namespaces/staging/status', { group: '', version: 'v1', resource: 'namespaces', name: 'staging', subresource: 'status' }],
    ['/api/v1/namespaces', { group: '', version: 'v1', resource: 'namespaces' }],
    ['/api/v1/namespaces/staging/configmaps/app.config-1', { group: '', version: 'v1', resource: 'configmaps', namespace: 'staging', name: 'app.config-1' }],
    ['/apis/rbac.authorization.k8s.io/v1/clusterroles', { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' }],
    ['/apis/argoproj.io/v1alpha1/namespaces/a/rollouts/web', { group: 'argoproj.io', version: 'v1alpha1', resource: 'rollouts', namespace: 'a', name: 'web' }],
    ['/api/v1/nodes/node-1', { group: '', version: 'v1', resource: 'nodes', name: 'node-1' }],
  ])('routes %s, and the path sent is built back from the parts', (path, route) => {
    expect(routeDryRunPath(path)).toEqual({ route });
    expect(pathOfRoute(route)).toBe(path);
  });

  it.each([
    ['/version', /only resource paths/],
    ['/apis/apps', /\/apis\/<group>\/<version>/],
    ['/apis/apps/v1beta/namespaces/a/deployments/x', /not an API version/],
    ['/api/v2/namespaces/a/pods/x', /core group is \/api\/v1/],
    ['/api/v1/namespaces/a/pods/x/y/z', /not a resource, object or subresource path/],
    ['/api/v1/namespaces/a/pods/p/exec', /pods\/exec subresource/],
    ['/api/v1/namespaces/a/services/web/proxy', /services\/proxy subresource/],
    ['/api/v1/namespaces/a/configmaps/x\\..\\..\\secrets\\db', /backslash/],
    ['/api/v1/namespaces/a/configmaps/%2e%2e', /"%"/],
    ['/api/v1/namespaces/a/configmaps/x?dryRun=None', /"\?" or "#"/],
    ['/api/v1/namespaces/a/configmaps/x#y', /"\?" or "#"/],
    ['/api/v1/namespaces/a/configmaps/x\ty', /whitespace/],
    ['/api/v1/namespaces/a/configmaps/\u2024\u2024', /non-ASCII/],
    ['/api/v1/namespaces/a/configmaps/x_y', /outside a-z/],
    ['/api/v1/namespaces/a/configmaps/X', /outside a-z/],
    ['/api/v1/namespaces//configmaps/x', /empty segment/],
    ['/api/v1/namespaces/a/configmaps/x/', /empty segment/],
    ['//127.0.0.1/api/v1/namespaces/a/configmaps/x', /empty segment/],
    ['/api/v1/namespaces/a/configmaps/..', /"\." or "\.\." segment/],
    ['/api/v1/namespaces/a/./configmaps/x', /"\." or "\.\." segment/],
    ['/api/v1/namespaces/a/configmaps/.x', /not an object name/],
    ['/api/v1/namespaces/a/configmaps/x..y', /not an object name/],
    ['/api/v1/namespaces/a.b/configmaps/x', /not a namespace name/],
    ['api/v1/namespaces/a/configmaps/x', /does not start with/],
  ])('refuses %s', (path, problem) => {
    const routed = routeDryRunPath(path);
    expect(routed).toEqual({ problem: expect.stringMatching(problem) });
    expect(refusal(patch(path), undefined)?.status).toBe(400);
  });
});

describe('the dry-run proxy rules', () => {
  it('refuses Secrets and namespaces outside the allowed ones', () => {
    expect(refusal(patch('/api/v1/namespaces/a/secrets/db'), undefined)?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/a/secrets'), undefined)?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/b/configmaps/c'), ['a'])?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/b'), ['a'])?.status).toBe(403);
    expect(refusal(patch('/api/v1/nodes/n1'), ['a'])?.status).toBe(403);
    expect(refusal(patch('/api/v1/namespaces/a/configmaps/c'), ['a'])).toBeUndefined();
    expect(refusal(patch('/api/v1/nodes/n1'), undefined)).toBeUndefined();
    // a Secret of another group is not the core Secret (its data is stripped from the answer instead)
    expect(refusal(patch('/apis/example.com/v1/namespaces/a/secrets/x'), undefined)).toBeUndefined();
  });

  it('forces dryRun=All and passes on only the query parameters a write takes', () => {
    expect(routeOrRefusal(patch('/api/v1/namespaces/a/configmaps/c', { dryRun: '', fieldManager: 'skyflo', force: true }), undefined)).toMatchObject({ query: { dryRun: 'All', fieldManager: 'skyflo', force: 'true' } });
    expect(refusal(patch('/api/v1/namespaces/a/configmaps/c', { watch: 'true' }), undefined)).toMatchObject({ status: 400, body: { message: expect.stringContaining('"watch"') } });
    expect(refusal(patch('/api/v1/namespaces/a/configmaps/c', { fieldManager: 'a&dryRun=None' }), undefined)?.status).toBe(400);
    expect(refusal(patch('/api/v1/namespaces/a/configmaps/c', { propagationPolicy: 'Everything' }), undefined)?.status).toBe(400);
    expect(refusal({ ...patch('/api/v1/namespaces/a/configmaps/c'), contentType: 'text/plain' }, undefined)?.status).toBe(400);
  });
});

describe('withoutSecretData', () => {
  it.each([
    ['a Secret', { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db' }, data: { p: 'aA==' }, stringData: { p: 'x' }, type: 'Opaque' }, { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db' }, type: 'Opaque' }],
    ['a Secret of another group', { kind: 'Secret', apiVersion: 'example.com/v1', data: { a: 1 } }, { kind: 'Secret', apiVersion: 'example.com/v1' }],
    ['a SecretList (items carry no kind)', { kind: 'SecretList', items: [{ metadata: { name: 'a' }, data: { p: 'aA==' } }] }, { kind: 'SecretList', items: [{ metadata: { name: 'a' } }] }],
    ['a List holding a Secret', { kind: 'List', items: [{ kind: 'Secret', data: { p: 'aA==' } }, { kind: 'ConfigMap', data: { k: 'v' } }] }, { kind: 'List', items: [{ kind: 'Secret' }, { kind: 'ConfigMap', data: { k: 'v' } }] }],
    ['a nested Secret', { kind: 'Status', details: { causes: [{ object: { kind: 'Secret', data: { p: 'aA==' } } }] } }, { kind: 'Status', details: { causes: [{ object: { kind: 'Secret' } }] } }],
    ['a Secret applied with kubectl (its last-applied copy holds the data)', { kind: 'Secret', metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"p":"aA=="}}', team: 'a' } }, data: { p: 'aA==' } }, { kind: 'Secret', metadata: { annotations: { team: 'a' } } }],
    ['a ConfigMap (untouched)', { kind: 'ConfigMap', data: { k: 'v' } }, { kind: 'ConfigMap', data: { k: 'v' } }],
  ])('%s', (_name, answer, expected) => {
    expect(withoutSecretData(answer)).toEqual(expected);
  });
});
