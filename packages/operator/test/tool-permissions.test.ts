/**
 * The MCP server's ClusterRole is derived from the tool catalogue: every tool has a row, rows agree with the
 * tools' readOnlyHint, the read-only profile grants no write verb, and no profile grants what would let the agent
 * widen its own access.
 */
import { allTools } from '@skyflo/mcp-server';
import { describe, expect, it } from 'vitest';
import { mergeRules, toolRbacRules } from '@skyflo/protocol';
import { accessProfileOf, namespacedRules, parseSkyfloAiSpec, profileRules, toolPermissions } from '../src/index.ts';

describe('RBAC profiles from the tool catalogue', () => {
  it('has exactly one row per catalogue tool, with the same read-only flag', () => {
    expect(Object.keys(toolPermissions).sort()).toEqual(allTools.map((tool) => tool.name).sort());
    for (const tool of allTools) expect(toolPermissions[tool.name].readOnly, tool.name).toBe(tool.annotations.readOnlyHint);
  });

  it('grants under operate exactly the union of the rules each tool lists to MCP clients (issue 39: one table)', () => {
    const listed = allTools.flatMap((tool) => toolRbacRules(tool.name) ?? []);
    expect(mergeRules(listed)).toEqual(profileRules('operate'));
    expect(toolRbacRules('k8s_drain')).toContainEqual({ apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] });
  });

  it('read-only grants only get/list/watch, plus the access reviews k8s_auth_can_i asks (they change nothing)', () => {
    const rules = profileRules('read-only');
    const accessReviews = rules.filter((rule) => rule.apiGroups.includes('authorization.k8s.io'));
    expect(accessReviews.flatMap((rule) => rule.resources).sort()).toEqual(['selfsubjectaccessreviews', 'subjectaccessreviews']);
    expect(accessReviews.flatMap((rule) => rule.verbs)).toEqual(['create']);
    const verbs = new Set(rules.filter((rule) => !accessReviews.includes(rule)).flatMap((rule) => rule.verbs));
    expect([...verbs].sort()).toEqual(['get', 'list', 'watch']);
    // no Secrets (release records, credentials) and no pods/exec, by name or by wildcard in the core group
    const core = rules.filter((rule) => rule.apiGroups.includes(''));
    for (const resource of ['secrets', 'pods/exec', 'pods/attach', 'pods/portforward', '*']) expect(core.flatMap((rule) => rule.resources), resource).not.toContain(resource);
  });

  it('namespaced grants the operate rules a Role can hold: no cluster-scoped resource, no access reviews', () => {
    const rules = namespacedRules();
    const resources = (group: string) => rules.filter((rule) => rule.apiGroups.includes(group)).flatMap((rule) => rule.resources);
    for (const resource of ['nodes', 'namespaces', 'persistentvolumes']) expect(resources(''), resource).not.toContain(resource);
    for (const group of ['storage.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'authorization.k8s.io']) expect(resources(group), group).toEqual([]);
    const allows = (group: string, resource: string, verb: string) => rules.some((rule) => rule.apiGroups.includes(group) && (rule.resources.includes(resource) || rule.resources.includes('*')) && rule.verbs.includes(verb));
    // inside its namespaces it may do what the tools do there
    expect(allows('apps', 'deployments/scale', 'patch')).toBe(true);
    expect(allows('', 'secrets', 'create')).toBe(true);
    expect(allows('', 'pods/exec', 'create')).toBe(true);
    for (const rule of rules) for (const verb of ['*', 'escalate', 'bind', 'impersonate']) expect(rule.verbs).not.toContain(verb);
  });

  it('operate grants the verbs the mutating tools need, and nothing that escalates', () => {
    const rules = profileRules('operate');
    const allows = (group: string, resource: string, verb: string) =>
      rules.some((rule) => rule.apiGroups.includes(group) && (rule.resources.includes(resource) || rule.resources.includes('*')) && rule.verbs.includes(verb));
    expect(allows('apps', 'deployments/scale', 'patch')).toBe(true); // k8s_scale
    expect(allows('', 'pods/eviction', 'create')).toBe(true); // k8s_drain
    expect(allows('', 'pods/exec', 'create')).toBe(true); // k8s_exec
    expect(allows('argoproj.io', 'rollouts', 'patch')).toBe(true); // argo_*
    expect(allows('', 'secrets', 'create')).toBe(true); // helm release storage
    for (const rule of rules) {
      expect(rule.verbs).not.toContain('*');
      for (const verb of ['escalate', 'bind', 'impersonate', 'approve', 'sign']) expect(rule.verbs).not.toContain(verb);
      expect(rule.apiGroups).not.toContain('*');
      expect(rule.resources).not.toContain('nodes/proxy');
    }
    expect(allows('rbac.authorization.k8s.io', 'clusterrolebindings', 'create')).toBe(false);
    expect(allows('rbac.authorization.k8s.io', 'clusterroles', 'update')).toBe(false);
    expect(allows('certificates.k8s.io', 'certificatesigningrequests', 'create')).toBe(false);
  });
});

describe('the SkyfloAI spec', () => {
  it('an empty spec is valid and defaults to one engine on embedded storage with the read-only access profile', () => {
    const { spec, problems } = parseSkyfloAiSpec({});
    expect(problems).toEqual([]);
    expect(spec).toMatchObject({ engine: { replicas: 1 }, mcp: { replicas: 1 }, storage: { type: 'embedded', embedded: { size: '1Gi' } }, rbac: { profile: 'read-only', namespaces: [] }, readOnly: false });
    expect(accessProfileOf(spec!)).toBe('read-only');
  });

  it('operate is the older name of cluster-admin-like; readOnly forces read-only', () => {
    expect(accessProfileOf(parseSkyfloAiSpec({ rbac: { profile: 'operate' } }).spec!)).toBe('cluster-admin-like');
    expect(accessProfileOf(parseSkyfloAiSpec({ rbac: { profile: 'cluster-admin-like' }, readOnly: true }).spec!)).toBe('read-only');
  });

  it.each([
    [{ engine: { replicas: 2 } }, ['spec.storage.type', 'spec.redis']],
    [{ engine: { replicas: 2 }, storage: { type: 'postgres', postgres: { urlSecretRef: { name: 'pg' } } } }, ['spec.redis']],
    [{ storage: { type: 'postgres' } }, ['spec.storage.postgres.urlSecretRef']],
    [{ rbac: { profile: 'custom' } }, ['spec.rbac.clusterRoleName']],
    [{ rbac: { profile: 'namespaced' } }, ['spec.rbac.namespaces']],
    [{ rbac: { profile: 'namespaced', namespaces: ['Payments'] } }, ['spec.rbac.namespaces.0']],
    [{ ingress: { enabled: true } }, ['spec.ingress.host']],
    [{ engine: { replicas: 0 } }, ['spec.engine.replicas']],
  ])('%j is refused naming %j', (raw, fields) => {
    expect(parseSkyfloAiSpec(raw).problems.map((problem) => problem.field)).toEqual(fields);
  });

  it('accepts the scaled setup: engines on Postgres and Redis', () => {
    const { problems } = parseSkyfloAiSpec({ engine: { replicas: 3 }, storage: { type: 'postgres', postgres: { urlSecretRef: { name: 'pg' } } }, redis: { urlSecretRef: { name: 'redis' } } });
    expect(problems).toEqual([]);
  });
});
