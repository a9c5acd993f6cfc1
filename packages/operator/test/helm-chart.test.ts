/**
 * The Helm chart (deploy/helm/skyflo) with the real helm v3.17: lint is clean, values.schema.json refuses what
 * cannot run, `helm template` renders manifests that validate against the Kubernetes OpenAPI schemas
 * (kubernetes-models) and the SkyfloAI against its CRD's schema, and `helm install` on kube-sim, with the operator
 * process running as the chart's ServiceAccount (so the chart's RBAC is what it gets), brings the SkyfloAI to Ready.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parseAllDocuments, stringify as toYaml } from 'yaml';
import { helmPath, repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessProfileOf, desiredState, installMcpRbac, namespacedRules, parseSkyfloAiSpec, profileRules } from '../src/index.ts';
import { chartRulesFile, chartRulesText } from '../../../scripts/write-chart-rbac.ts';
import { freshExecutorTls } from '../src/reconcile/executor-tls.ts';
import { executorRulesFile, executorRulesText } from '../../../scripts/write-chart-rbac.ts';
import { condition, crdPath, eventually, startOperatorHarness, type OperatorHarness } from './support/operator-harness.ts';

const run = promisify(execFile);
const chart = path.join(repoRoot, 'deploy', 'helm', 'skyflo');
const helmHome = mkdtempSync(path.join(tmpdir(), 'skyflo-helm-'));
const helmEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: helmHome, HELM_CACHE_HOME: path.join(helmHome, 'cache'), HELM_CONFIG_HOME: path.join(helmHome, 'config'), HELM_DATA_HOME: path.join(helmHome, 'data') };

async function helm(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(helmPath, args, { env: helmEnv, maxBuffer: 16 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: typeof failed.code === 'number' ? failed.code : 1 };
  }
}

/** A values file in the helm home (for keys with dots, such as annotation names, that --set would split). */
function valuesFile(yaml: string): string {
  const file = path.join(mkdtempSync(path.join(helmHome, 'values-')), 'values.yaml');
  writeFileSync(file, yaml);
  return file;
}

async function render(values: string[], valuesYaml?: string): Promise<any[]> {
  const result = await helm(['template', 'skyflo', chart, '--namespace', 'skyflo', '--include-crds', ...values.flatMap((value) => ['--set', value]), ...(valuesYaml ? ['--values', valuesFile(valuesYaml)] : [])]);
  expect(result.code, result.stderr).toBe(0);
  return parseAllDocuments(result.stdout).map((document) => document.toJSON()).filter(Boolean);
}

/** Validates a manifest against the Kubernetes OpenAPI schema of its kind (kubernetes-models), throwing on errors. */
async function validateBuiltin(object: any): Promise<void> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [undefined, object.apiVersion];
  const module = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${object.kind}`);
  new module[object.kind](object).validate();
}

const crd = parseAllDocuments(readFileSync(crdPath, 'utf8'))[0].toJSON();
const testCa = freshExecutorTls('skyflo-executor', 'skyflo')['ca.crt'];
const ajv = new Ajv({ strict: false, allErrors: true });
const validateSkyfloAi = ajv.compile(crd.spec.versions[0].schema.openAPIV3Schema);

describe('chart files', () => {
  it('helm lint --strict passes with no warnings', async () => {
    const result = await helm(['lint', chart, '--strict', '--set', 'llm.model=openai/gpt-4o', '--set', 'llm.apiKeySecret=skyflo-llm']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });

  it("makes the MCP server's RBAC from the rules generated from the tool catalogue (files/mcp-rules.json and files/executor-rules.json are current)", () => {
    expect(readFileSync(chartRulesFile, 'utf8'), 'stale: run `npx tsx scripts/write-chart-rbac.ts`').toBe(chartRulesText());
    expect(readFileSync(executorRulesFile, 'utf8'), 'stale: run `npx tsx scripts/write-chart-rbac.ts`').toBe(executorRulesText());
  });

  it.each([
    [['skyfloai.engine.replicas=2'], /skyfloai\.storage\.type does not match: "postgres"|skyfloai\.redis\.urlSecret/],
    [['skyfloai.storage.type=postgres'], /postgresUrlSecret/],
    [['skyfloai.rbac.profile=cluster-admin'], /skyfloai\.rbac\.profile/],
    [['skyfloai.accessProfile=admin'], /skyfloai\.accessProfile/],
    [['skyfloai.accessProfile=namespaced'], /skyfloai\.namespaces: Array must have at least 1 items/],
    [['skyfloai.accessProfile=namespaced', 'skyfloai.namespaces={Payments}'], /skyfloai\.namespaces\.0/],
    [['skyfloai.accessProfile=custom'], /skyfloai\.rbac\.clusterRoleName: String length must be greater than or equal to 1/],
    [['llm.model=gpt-4o'], /llm\.model/],
    [['skyfloai.unknown=1'], /Additional property unknown is not allowed/],
    [['skyfloai.mcp.confirm.mode=skyflo'], /skyfloai\.mcp\.confirm\.engineTokenSecret/],
    [['skyfloai.mcp.confirm.mode=ask'], /skyfloai\.mcp\.confirm\.mode/],
    [['skyfloai.mcp.confirm.mode=skyflo', 'skyfloai.mcp.confirm.engineTokenSecret=t', 'skyfloai.mcp.confirm.engineUrl=skyflo:8080'], /skyfloai\.mcp\.confirm\.engineUrl/],
  ])('values.schema.json refuses %j', async (values, message) => {
    const result = await helm(['template', 'skyflo', chart, ...values.flatMap((value) => ['--set', value])]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});

describe('helm template', () => {
  it.each([
    ['the documented install', ['llm.model=openai/gpt-4o', 'llm.apiKeySecret=skyflo-llm']],
    ['the scaled setup', ['skyfloai.engine.replicas=3', 'skyfloai.mcp.replicas=2', 'skyfloai.storage.type=postgres', 'skyfloai.storage.postgresUrlSecret=pg', 'skyfloai.redis.urlSecret=redis', 'operator.replicas=2', 'skyfloai.ingress.enabled=true', 'skyfloai.ingress.host=skyflo.example.com', 'skyfloai.accessProfile=custom', 'skyfloai.rbac.clusterRoleName=my-role']],
    ['a namespaced install', ['skyfloai.accessProfile=namespaced', 'skyfloai.namespaces={payments,checkout}']],
  ])('%s renders manifests valid against the Kubernetes and CRD schemas', async (_name, values) => {
    const documents = await render(values);
    const kinds = documents.map((document) => document.kind).sort();
    // the Pod is the `helm test` hook; the CRDs (SkyfloAI, SkyfloApproval, SkyfloApproverKey, and issue 76's SkyfloPolicy and SkyfloFreeze); a profile that writes adds the executor's
    // ServiceAccount, its Role and RoleBinding in the release namespace, and its grant ClusterRole bound cluster-wide or
    // by a RoleBinding in each listed namespace
    // the operator: its ClusterRole and binding, its Role and binding in the namespace it watches, the leader-election
    // Role and binding; the MCP server's RBAC (issue 73: the chart's, never the operator's): read-only ClusterRole and
    // binding, or a Role and binding in each listed namespace
    // the engine's Role and binding reading SkyfloSchedules in the release namespace (issue 81)
    const base = ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition', 'Deployment', 'Pod', 'Role', 'Role', 'Role', 'RoleBinding', 'RoleBinding', 'RoleBinding', 'ServiceAccount', 'SkyfloAI'];
    const namespaced = values.includes('skyfloai.accessProfile=namespaced');
    const mcpKinds = namespaced ? ['Role', 'RoleBinding', 'Role', 'RoleBinding'] : ['ClusterRole', 'ClusterRoleBinding'];
    const executorKinds = namespaced
      ? ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'RoleBinding', 'RoleBinding']
      : values.includes('skyfloai.accessProfile=custom')
        ? ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']
        : [];
    expect(kinds).toEqual([...base, ...mcpKinds, ...executorKinds].sort());
    expect(documents.filter((document) => document.kind === 'CustomResourceDefinition').map((document) => document.metadata.name).sort()).toEqual(['skyfloais.skyflo.ai', 'skyfloapprovals.skyflo.ai', 'skyfloapproverkeys.skyflo.ai', 'skyflofreezes.skyflo.ai', 'skyflopolicies.skyflo.ai', 'skyfloschedules.skyflo.ai']);
    // the engine reads its namespace's SkyfloSchedules, SkyfloPolicies and SkyfloFreezes, and its SkyfloAI objects (the
    // emergency stop declared as their annotation), and nothing else; nobody gets to write them
    const engineRole = documents.find((document) => document.kind === 'Role' && document.metadata.name === 'skyflo-engine-schedules');
    expect(engineRole.rules).toEqual([
      { apiGroups: ['skyflo.ai'], resources: ['skyfloschedules', 'skyflopolicies', 'skyflofreezes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['skyflo.ai'], resources: ['skyfloais'], verbs: ['get', 'list'] },
    ]);
    expect(documents.find((document) => document.kind === 'RoleBinding' && document.metadata.name === 'skyflo-engine-schedules').subjects).toEqual([{ kind: 'ServiceAccount', name: 'skyflo-engine', namespace: 'skyflo' }]);
    for (const document of documents) {
      if (document.kind === 'SkyfloAI') {
        expect(validateSkyfloAi(document), JSON.stringify(validateSkyfloAi.errors)).toBe(true);
        const { problems } = parseSkyfloAiSpec(document.spec);
        expect(problems).toEqual([]);
        // what the operator will create from it validates too
        const owner = { ...document, metadata: { ...document.metadata, uid: '00000000-0000-0000-0000-000000000001' } };
        // (with a CA, so the approvals webhook of a profile that writes is validated too)
        for (const { object } of desiredState(owner, parseSkyfloAiSpec(document.spec).spec!, () => ({ 'jwt-secret': 'x', 'encryption-key': 'y', 'mcp-token': 'z' }), undefined, testCa).objects) {
          await expect(validateBuiltin(object), `${object.kind}/${object.metadata.name}`).resolves.toBeUndefined();
        }
      } else {
        await expect(validateBuiltin(document), `${document.kind}/${document.metadata.name}`).resolves.toBeUndefined();
      }
    }
    const operatorRole = documents.find((document) => document.kind === 'ClusterRole' && document.metadata.name === 'skyflo-operator');
    for (const rule of operatorRole.rules) for (const verb of ['*', 'escalate', 'impersonate']) expect(rule.verbs).not.toContain(verb);
    // the chart binds the custom ClusterRole itself: the operator never holds bind
    expect(operatorRole.rules.filter((rule: any) => rule.verbs.includes('bind'))).toEqual([]);
  });

  const profiles: Array<[string, string[], string]> = [
    ['read-only (a first install, nothing set)', [], 'read-only'],
    ['namespaced', ['skyfloai.accessProfile=namespaced', 'skyfloai.namespaces={payments,checkout}'], 'namespaced'],
    ['cluster-admin-like', ['skyfloai.accessProfile=cluster-admin-like'], 'cluster-admin-like'],
    ['operate (the older skyfloai.rbac.profile)', ['skyfloai.rbac.profile=operate'], 'cluster-admin-like'],
    ['custom', ['skyfloai.accessProfile=custom', 'skyfloai.rbac.clusterRoleName=my-role'], 'custom'],
  ];
  const writeVerbs = ['create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate', '*'];
  const writes = (rules: any[]) => rules.filter((rule) => rule.verbs.some((verb: string) => writeVerbs.includes(verb)) && !rule.apiGroups.includes('authorization.k8s.io'));

  /** The rendered SkyfloAI and what the operator makes from it (with a CA: the webhook too). */
  async function renderedInstall(values: string[]) {
    const documents = await render(values);
    const sky = documents.find((document) => document.kind === 'SkyfloAI');
    const parsed = parseSkyfloAiSpec(sky.spec);
    expect(parsed.problems).toEqual([]);
    const owner = { ...sky, metadata: { ...sky.metadata, uid: '00000000-0000-0000-0000-000000000001' } };
    // what the operator makes with --mcp-rbac=install (the chart's mode): everything but the MCP server's RBAC
    const made = desiredState(owner, parsed.spec!, () => ({}), undefined, testCa).objects.map(({ object }) => object as any).filter((object) => !object.apiVersion.startsWith('rbac.'));
    // the MCP server's RBAC is the chart's, and exactly what the operator checks for (installMcpRbac)
    const mcpRbac = documents.filter((document) => document.metadata.name === 'skyflo:skyflo:skyflo:mcp-access');
    const expected = installMcpRbac(owner, parsed.spec!) as any[];
    const shape = (object: any) => ({ kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace, rules: object.rules, roleRef: object.roleRef, subjects: object.subjects });
    // (helm orders its output by kind)
    const inOrder = (objects: any[]) => objects.map(shape).sort((a, b) => `${a.kind}/${a.namespace}`.localeCompare(`${b.kind}/${b.namespace}`));
    expect(inOrder(mcpRbac)).toEqual(inOrder(expected));
    return { documents, spec: parsed.spec!, made, mcpRbac };
  }

  it.each(profiles)("access profile %s with approvals.enforcement=cluster (the default): no write verb in the MCP server's role; the executor, its RBAC, the webhook and the CRD are there", async (_name, values, profile) => {
    const { documents, spec, made, mcpRbac } = await renderedInstall(values);
    expect(accessProfileOf(spec)).toBe(profile);
    expect(spec.approvals.enforcement).toBe('cluster');
    const roles = mcpRbac.filter((object) => object.kind === 'Role' || object.kind === 'ClusterRole');
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) expect(writes(role.rules), `${role.kind} ${role.metadata.namespace ?? ''}/${role.metadata.name}`).toEqual([]);
    // the MCP server is bound to our read-only rules only (never the custom ClusterRole)
    expect(mcpRbac.filter((object) => object.kind.endsWith('Binding')).map((binding) => binding.roleRef.name)).not.toContain('my-role');
    if (profile === 'namespaced') for (const role of roles) expect(role.rules).toEqual(namespacedRules(profileRules('read-only')));
    else expect(roles.map((role) => role.rules)).toEqual([profileRules('read-only')]);
    expect(documents.some((document) => document.kind === 'CustomResourceDefinition' && document.metadata.name === 'skyfloapprovals.skyflo.ai')).toBe(true);

    const executorRbac = documents.filter((document) => document.metadata.labels?.['app.kubernetes.io/component'] === 'executor');
    const executorDeployment = made.find((object) => object.kind === 'Deployment' && object.metadata.name === 'skyflo-executor');
    const webhook = made.find((object) => object.kind === 'ValidatingWebhookConfiguration');
    if (profile === 'read-only') {
      // nothing to approve into the cluster: no executor
      expect(executorRbac).toEqual([]);
      expect(executorDeployment).toBeUndefined();
      expect(webhook).toBeUndefined();
      return;
    }
    expect(executorDeployment.spec.template.spec.serviceAccountName).toBe('skyflo-executor');
    expect(executorDeployment.spec.template.spec.containers[0].args).toEqual(['executor']);
    expect(made.find((object) => object.kind === 'Service' && object.metadata.name === 'skyflo-executor')).toBeDefined();
    expect(webhook.webhooks[0].failurePolicy).toBe('Fail');
    expect(webhook.webhooks[0].matchConditions[0].expression).toBe("request.userInfo.username.startsWith('system:serviceaccount:skyflo:skyflo-approval-') || request.userInfo.username == 'system:serviceaccount:skyflo:skyflo-executor'");
    expect(executorRbac.find((document) => document.kind === 'ServiceAccount').metadata.name).toBe('skyflo-executor');
    const installRole = executorRbac.find((document) => document.kind === 'Role');
    expect(installRole.rules).toContainEqual({ apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] });
    const grant = executorRbac.find((document) => document.kind === 'ClusterRole');
    expect(grant.metadata.name).toBe('skyflo:skyflo:executor');
    // the executor's write verbs beyond its bookkeeping (approvals, approver keys, ServiceAccounts and RBAC, and the
    // SkyfloAI's status, where it shows the stop engaged in Skyflo — never the SkyfloAI itself) are the dry-run rule
    // only, which its webhook (matching the executor's own username above) keeps to dry-runs
    const isDryRunRule = (rule: any) => JSON.stringify(rule.apiGroups) === '["*"]' && JSON.stringify(rule.resources) === '["*"]';
    expect(grant.rules.filter(isDryRunRule)).toEqual([{ apiGroups: ['*'], resources: ['*'], verbs: ['create', 'update', 'patch', 'delete'] }]);
    for (const rule of writes([...installRole.rules, ...grant.rules]).filter((rule: any) => !isDryRunRule(rule))) {
      expect(rule.resources.every((resource: string) => ['skyfloapprovals', 'skyfloapprovals/status', 'skyfloapproverkeys', 'skyfloapproverkeys/status', 'skyfloais/status', 'serviceaccounts', 'serviceaccounts/token', 'roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'].includes(resource)), JSON.stringify(rule)).toBe(true);
    }
    const grantBindings = executorRbac.filter((document) => document.kind.endsWith('Binding') && document.roleRef.name === grant.metadata.name);
    if (profile === 'namespaced') {
      expect(grantBindings.map((binding) => `${binding.kind} ${binding.metadata.namespace}`).sort()).toEqual(['RoleBinding checkout', 'RoleBinding payments']);
      expect(grant.rules.flatMap((rule: any) => rule.resources)).not.toContain('clusterroles');
    } else {
      expect(grantBindings.map((binding) => binding.kind)).toEqual(['ClusterRoleBinding']);
    }
    // the operator may make the webhook, never hold the executor's escalate/bind (the chart grants those)
    const operatorRole = documents.find((document) => document.kind === 'ClusterRole' && document.metadata.name === 'skyflo-operator');
    expect(operatorRole.rules).toContainEqual({ apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['create'] });
    expect(operatorRole.rules).toContainEqual({ apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['update', 'patch', 'delete'], resourceNames: ['skyflo-skyflo-skyflo-approvals'] });
    for (const rule of operatorRole.rules) expect(rule.verbs).not.toContain('escalate');
  });

  /** The operator's rules, cluster-wide (its ClusterRole) and in the namespace it watches (its Role there). */
  const operatorRules = (documents: any[]) => ({
    cluster: documents.find((document) => document.kind === 'ClusterRole' && document.metadata.name === 'skyflo-operator').rules as any[],
    namespaced: documents.find((document) => document.kind === 'Role' && document.metadata.name === 'skyflo-operator'),
  });
  const rbacResources = ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'];
  const writeOf = (rule: any, resource: string) => rule.resources.includes(resource) && rule.verbs.some((verb: string) => writeVerbs.includes(verb));

  it.each([...profiles, ['read-only tools (skyfloai.readOnly=true, with a profile that would write)', ['skyfloai.readOnly=true', 'skyfloai.accessProfile=cluster-admin-like'], 'read-only'] as [string, string[], string]])(
    "issue 73: with access profile %s the operator holds only what that install needs: no rule of the MCP server's profile, no exec, no Secret or RBAC write cluster-wide, no escalate or bind",
    async (_name, values, profile) => {
      for (const enforcement of ['cluster', 'engine']) {
        const documents = await render([...values, `skyfloai.approvals.enforcement=${enforcement}`]);
        const { cluster, namespaced } = operatorRules(documents);
        const all = [...cluster, ...namespaced.rules];
        // never the MCP server's rules: nothing on pods (exec, logs, deletes), no wildcard, no workload kind it does not make
        for (const rule of all) {
          expect(rule.verbs, JSON.stringify(rule)).not.toContain('*');
          expect(rule.resources, JSON.stringify(rule)).not.toContain('*');
          for (const verb of ['escalate', 'bind', 'impersonate']) expect(rule.verbs).not.toContain(verb);
          for (const resource of ['pods', 'pods/exec', 'pods/attach', 'nodes', 'configmaps', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'replicasets']) expect(rule.resources).not.toContain(resource);
        }
        // cluster-wide: no Secret at all; RBAC read, and delete only of what an older operator made, by name
        expect(cluster.filter((rule) => rule.resources.includes('secrets'))).toEqual([]);
        for (const resource of rbacResources) {
          const writes = cluster.filter((rule) => writeOf(rule, resource));
          for (const rule of writes) expect(rule, JSON.stringify(rule)).toMatchObject({ verbs: ['delete'], resourceNames: ['skyflo:skyflo:skyflo:mcp'] });
        }
        expect(namespaced.rules.filter((rule: any) => rbacResources.some((resource) => rule.resources.includes(resource)))).toEqual([]);
        // in its one namespace: Secrets created (RBAC cannot limit a create by name) and only its own ones changed
        expect(namespaced.metadata.namespace).toBe('skyflo');
        const secretWrites = namespaced.rules.filter((rule: any) => writeOf(rule, 'secrets'));
        expect(secretWrites).toEqual([
          { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create'] },
          { apiGroups: [''], resources: ['secrets'], verbs: ['update', 'patch'], resourceNames: ['skyflo-secrets', 'skyflo-approval-keys', 'skyflo-executor-tls', 'skyflo-executor-dry-run'] },
        ]);
        // the executor's webhook: created only when this install enforces approvals in the cluster
        const webhookCreate = cluster.some((rule) => rule.resources.includes('validatingwebhookconfigurations') && rule.verbs.includes('create'));
        expect(webhookCreate, `${profile} ${enforcement}`).toBe(profile !== 'read-only' && enforcement === 'cluster');
        // issue 76: the SkyfloPolicies' ValidatingAdmissionPolicies likewise (read and delete always: it removes its own)
        const policyWrites = cluster.filter((rule) => writeOf(rule, 'validatingadmissionpolicies'));
        expect(policyWrites.flatMap((rule) => rule.verbs.filter((verb: string) => writeVerbs.includes(verb))).sort(), `${profile} ${enforcement}`).toEqual(profile !== 'read-only' && enforcement === 'cluster' ? ['create', 'delete', 'patch', 'update'] : ['delete']);
        for (const rule of policyWrites) expect(rule.resources).toEqual(['validatingadmissionpolicies', 'validatingadmissionpolicybindings']);
        expect(namespaced.rules).toContainEqual({ apiGroups: ['skyflo.ai'], resources: ['skyflopolicies'], verbs: ['get', 'list', 'watch'] });
        // the operator runs in install mode, watching its namespace only
        const args = documents.find((document) => document.kind === 'Deployment' && document.metadata.name === 'skyflo-operator').spec.template.spec.containers[0].args;
        expect(args).toEqual(expect.arrayContaining(['--mcp-rbac=install', '--namespace=skyflo']));
        if (profile === 'read-only') {
          // readOnly=true (or the read-only profile): nothing to approve into the cluster, so no webhook write beyond
          // removing one a former profile left, by name
          const webhookWrites = cluster.filter((rule) => writeOf(rule, 'validatingwebhookconfigurations'));
          expect(webhookWrites).toEqual([{ apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['delete'], resourceNames: ['skyflo-skyflo-skyflo-approvals'] }]);
        }
      }
    },
  );

  it.each(profiles)("access profile %s with approvals.enforcement=engine: the MCP server gets exactly that profile's rules, and no executor", async (_name, values, profile) => {
    const { documents, spec, made, mcpRbac } = await renderedInstall([...values, 'skyfloai.approvals.enforcement=engine']);
    expect(accessProfileOf(spec)).toBe(profile);
    expect(documents.filter((document) => document.metadata.labels?.['app.kubernetes.io/component'] === 'executor')).toEqual([]);
    expect(made.find((object) => object.kind === 'ValidatingWebhookConfiguration')).toBeUndefined();
    const cluster = mcpRbac.filter((object) => object.kind.startsWith('Cluster'));
    if (profile === 'namespaced') {
      // nothing cluster-wide at all: one Role and RoleBinding in each listed namespace
      expect(cluster).toEqual([]);
      expect(mcpRbac.map((object) => `${object.kind} ${object.metadata.namespace}`).sort()).toEqual(['Role checkout', 'Role payments', 'RoleBinding checkout', 'RoleBinding payments']);
      const role = mcpRbac.find((object) => object.kind === 'Role');
      expect(role.rules).toEqual(namespacedRules());
      expect(writes(role.rules).length).toBeGreaterThan(0);
    } else if (profile === 'custom') {
      expect(mcpRbac.map((object) => `${object.kind} ${object.roleRef?.name ?? ''}`)).toEqual(['ClusterRoleBinding my-role']);
    } else {
      expect(mcpRbac.map((object) => object.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding']);
      const rules = mcpRbac.find((object) => object.kind === 'ClusterRole').rules;
      expect(rules).toEqual(profileRules(profile === 'read-only' ? 'read-only' : 'operate'));
      if (profile === 'read-only') {
        expect(writes(rules)).toEqual([]);
        const core = rules.filter((rule: any) => rule.apiGroups.includes('')).flatMap((rule: any) => rule.resources);
        expect(core).not.toContain('secrets');
        expect(core).not.toContain('pods/exec');
      } else {
        expect(writes(rules).length).toBeGreaterThan(0);
      }
    }
  });

  it('pull secrets, pod annotations and labels, priority, topology spread, ServiceAccount annotations, the Service type and a ServiceMonitor reach the pods the chart and the operator make', async () => {
    const zoneSpread = '[{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}]';
    const documents = await render([], [
      'imagePullSecrets: [{name: regcred}]',
      'operator:',
      '  podAnnotations: {example.com/owner: platform}',
      '  podLabels: {team: sre, app.kubernetes.io/component: not-the-operator}',
      '  priorityClassName: platform-critical',
      `  topologySpreadConstraints: ${zoneSpread}`,
      '  serviceAccount: {annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/skyflo-operator"}}',
      'skyfloai:',
      '  engine:',
      '    podAnnotations: {example.com/owner: platform}',
      '    podLabels: {team: sre, app.kubernetes.io/component: not-the-engine}',
      '    priorityClassName: platform-critical',
      `    topologySpreadConstraints: ${zoneSpread}`,
      '    serviceAccount: {annotations: {iam.gke.io/gcp-service-account: skyflo@project.iam.gserviceaccount.com}}',
      '  mcp:',
      '    serviceAccount: {annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/skyflo-mcp"}}',
      '  service: {type: LoadBalancer, annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: "true"}}',
      'serviceMonitor: {enabled: true, labels: {release: kube-prometheus-stack}, bearerTokenSecret: {name: skyflo-metrics, key: token}}',
    ].join('\n'));
    const find = (kind: string, name?: string) => documents.find((document) => document.kind === kind && (!name || document.metadata.name === name));

    const operatorPod = find('Deployment', 'skyflo-operator');
    await validateBuiltin(operatorPod);
    const operatorTemplate = operatorPod.spec.template;
    expect(operatorTemplate.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(operatorTemplate.spec.priorityClassName).toBe('platform-critical');
    expect(operatorTemplate.metadata.annotations).toEqual({ 'example.com/owner': 'platform' });
    // a pod label never takes the selector's place
    expect(operatorTemplate.metadata.labels).toMatchObject({ team: 'sre', ...operatorPod.spec.selector.matchLabels });
    expect(operatorTemplate.spec.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: operatorPod.spec.selector.matchLabels } }]);
    expect(find('ServiceAccount', 'skyflo-operator').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/skyflo-operator' });

    const sky = find('SkyfloAI');
    expect(validateSkyfloAi(sky), JSON.stringify(validateSkyfloAi.errors)).toBe(true);
    const parsed = parseSkyfloAiSpec(sky.spec);
    expect(parsed.problems).toEqual([]);
    const owner = { ...sky, metadata: { ...sky.metadata, uid: '00000000-0000-0000-0000-000000000001' } };
    const objects = desiredState(owner, parsed.spec!, () => ({ 'jwt-secret': 'x', 'encryption-key': 'y', 'mcp-token': 'z' })).objects.map(({ object }) => object);
    for (const object of objects) await expect(validateBuiltin(object), `${object.kind}/${object.metadata.name}`).resolves.toBeUndefined();
    const made = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name) as any;
    const engine = made('Deployment', 'skyflo-engine');
    expect(engine.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(made('Deployment', 'skyflo-mcp').spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(engine.spec.template.spec.priorityClassName).toBe('platform-critical');
    expect(engine.spec.template.metadata.annotations).toEqual({ 'example.com/owner': 'platform' });
    expect(engine.spec.template.metadata.labels).toMatchObject({ team: 'sre', ...engine.spec.selector.matchLabels });
    expect(engine.spec.template.spec.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: engine.spec.selector.matchLabels } }]);
    expect(made('ServiceAccount', 'skyflo-engine').metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': 'skyflo@project.iam.gserviceaccount.com' });
    expect(made('ServiceAccount', 'skyflo-mcp').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/skyflo-mcp' });
    const engineService = made('Service', 'skyflo-engine');
    expect(engineService.spec.type).toBe('LoadBalancer');
    expect(engineService.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' });
    // the MCP server holds the cluster credentials: its Service never leaves the cluster network
    expect(made('Service', 'skyflo-mcp').spec.type).toBe('ClusterIP');

    // the ServiceMonitor selects the engine's Service as the operator labels it, on the port it names
    const monitor = find('ServiceMonitor');
    expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(engineService.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['skyflo'] });
    expect(monitor.spec.endpoints).toEqual([{ port: engineService.spec.ports[0].name, path: '/metrics', interval: '30s', authorization: { type: 'Bearer', credentials: { name: 'skyflo-metrics', key: 'token' } } }]);

    // `helm test`: one pod, from inside the cluster, at the engine's Service by a name the engine accepts
    const testPod = documents.find((document) => document.metadata.annotations?.['helm.sh/hook'] === 'test');
    await validateBuiltin(testPod);
    expect(testPod.spec.containers[0].args.at(-1)).toBe('http://skyflo-engine.skyflo.svc:8080/readyz');
    // issue 75: the Service takes a degraded replica out (/readyz 503), and only a dead process is restarted (/livez)
    expect(engine.spec.template.spec.containers[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(engine.spec.template.spec.containers[0].livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(engine.spec.template.spec.containers[0].env.find((entry: any) => entry.name === 'ALLOWED_HOSTS').value.split(',')).toContain('skyflo-engine.skyflo.svc');
    expect(testPod.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });

  it("--confirm=skyflo (skyfloai.mcp.confirm): the MCP server's pods propose to this release's engine with the token and the state key from Secrets, never inline; the user's own env wins", async () => {
    const podsOf = async (values: string[], valuesYaml?: string) => {
      const sky = (await render(values, valuesYaml)).find((document) => document.kind === 'SkyfloAI');
      expect(validateSkyfloAi(sky), JSON.stringify(validateSkyfloAi.errors)).toBe(true);
      const parsed = parseSkyfloAiSpec(sky.spec);
      expect(parsed.problems).toEqual([]);
      const owner = { ...sky, metadata: { ...sky.metadata, uid: '00000000-0000-0000-0000-000000000002' } };
      const objects = desiredState(owner, parsed.spec!, () => ({ 'jwt-secret': 'x', 'encryption-key': 'y', 'mcp-token': 'z' })).objects.map(({ object }) => object as any);
      const mcp = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === 'skyflo-mcp');
      await validateBuiltin(mcp);
      return { env: mcp.spec.template.spec.containers[0].env as Array<{ name: string; value?: string; valueFrom?: unknown }>, rendered: JSON.stringify(sky) };
    };
    const named = (env: Array<{ name: string }>, name: string) => env.filter((entry) => entry.name === name);

    const { env, rendered } = await podsOf(['skyfloai.mcp.confirm.mode=skyflo', 'skyfloai.mcp.confirm.engineTokenSecret=skyflo-mcp-engine', 'skyfloai.mcp.confirm.stateKeySecret=skyflo-mcp-state']);
    expect(named(env, 'MCP_CONFIRM')).toEqual([{ name: 'MCP_CONFIRM', value: 'skyflo' }]);
    expect(named(env, 'SKYFLO_ENGINE_URL')).toEqual([{ name: 'SKYFLO_ENGINE_URL', value: 'http://skyflo-engine.skyflo.svc:8080' }]);
    expect(named(env, 'SKYFLO_ENGINE_TOKEN')).toEqual([{ name: 'SKYFLO_ENGINE_TOKEN', valueFrom: { secretKeyRef: { name: 'skyflo-mcp-engine', key: 'token' } } }]);
    expect(named(env, 'MCP_STATE_KEY')).toEqual([{ name: 'MCP_STATE_KEY', valueFrom: { secretKeyRef: { name: 'skyflo-mcp-state', key: 'key' } } }]);
    // every replica gets the same: the same engine, the same token, the same state key (the handles work on any of them)
    expect(rendered).not.toMatch(/sky_/);

    // another engine address, the Secrets' own keys, no state key (derived from the token); the user's env wins
    const custom = await podsOf([], [
      'skyfloai:',
      '  mcp:',
      '    replicas: 2',
      '    confirm: {mode: skyflo, engineUrl: "https://skyflo.example.com", engineTokenSecret: proposer, engineTokenSecretKey: api-token}',
      '    env: [{name: MCP_CONFIRM, value: deny}]',
    ].join('\n'));
    expect(named(custom.env, 'SKYFLO_ENGINE_URL')).toEqual([{ name: 'SKYFLO_ENGINE_URL', value: 'https://skyflo.example.com' }]);
    expect(named(custom.env, 'SKYFLO_ENGINE_TOKEN')).toEqual([{ name: 'SKYFLO_ENGINE_TOKEN', valueFrom: { secretKeyRef: { name: 'proposer', key: 'api-token' } } }]);
    expect(named(custom.env, 'MCP_STATE_KEY')).toEqual([]);
    expect(named(custom.env, 'MCP_CONFIRM')).toEqual([{ name: 'MCP_CONFIRM', value: 'deny' }]);

    // the default: nothing of it (the server's own default, elicit)
    const plain = await podsOf([]);
    for (const name of ['MCP_CONFIRM', 'SKYFLO_ENGINE_URL', 'SKYFLO_ENGINE_TOKEN', 'MCP_STATE_KEY']) expect(named(plain.env, name)).toEqual([]);
  });

  it('the validator catches a broken manifest (so a pass means something)', async () => {
    await expect(validateBuiltin({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'three', selector: {}, template: {} } })).rejects.toThrow(/replicas/);
    expect(validateSkyfloAi({ apiVersion: 'skyflo.ai/v1', kind: 'SkyfloAI', metadata: { name: 'x' }, spec: { storage: { type: 'sqlite' } } })).toBe(false);
  });
});

describe('helm install on kube-sim', () => {
  let harness: OperatorHarness;
  const operatorToken = 'skyflo-operator-test-token';

  beforeAll(async () => {
    harness = await startOperatorHarness({
      users: [{ name: 'system:serviceaccount:skyflo:skyflo-operator', token: operatorToken, groups: ['system:serviceaccounts', 'system:serviceaccounts:skyflo', 'system:authenticated'] }],
      installCrd: false,
      // over TLS a user's kubeconfig carries only that user's token (over plain HTTP kube-sim impersonates instead)
      tls: true,
    });
  });

  afterAll(async () => {
    await harness?.close();
    rmSync(helmHome, { recursive: true, force: true });
  });

  it('installs the CRD, the operator and a SkyfloAI that the operator (as its ServiceAccount) brings to Ready', { timeout: 120_000 }, async () => {
    await harness.kubectl(['create', 'namespace', 'skyflo']);
    await harness.kubectl(['create', 'secret', 'generic', 'skyflo-llm', '-n', 'skyflo', '--from-literal=api-key=sk-test']);
    await harness.kubectl(['create', 'secret', 'docker-registry', 'regcred', '-n', 'skyflo', '--docker-server=ghcr.io', '--docker-username=skyflo', '--docker-password=not-a-real-one']);
    // An upgrade from an operator that made the MCP server's RBAC itself: its ClusterRole (here with Secret writes, as
    // an older cluster-admin-like profile had) and binding are still there, labelled as that operator labelled them.
    const olderLabels = { 'app.kubernetes.io/managed-by': 'skyflo-operator', 'app.kubernetes.io/name': 'skyflo', 'app.kubernetes.io/instance': 'skyflo', 'skyflo.ai/owner-namespace': 'skyflo', 'skyflo.ai/owner-name': 'skyflo' };
    await harness.apply(
      [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'skyflo:skyflo:skyflo:mcp', labels: olderLabels }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'delete'] }] },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'skyflo:skyflo:skyflo:mcp', labels: olderLabels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'skyflo:skyflo:skyflo:mcp' }, subjects: [{ kind: 'ServiceAccount', name: 'skyflo-mcp', namespace: 'skyflo' }] },
      ]
        .map((object) => toYaml(object))
        .join('---\n'),
    );
    const cloudIdentity = valuesFile('imagePullSecrets: [{name: regcred}]\nskyfloai:\n  engine:\n    serviceAccount: {annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/skyflo"}}\n  service: {type: NodePort}\n');
    const install = await helm(['install', 'skyflo', chart, '--kubeconfig', harness.kubeconfig, '--namespace', 'skyflo', '--set', 'llm.model=openai/gpt-4o', '--set', 'llm.apiKeySecret=skyflo-llm', '--values', cloudIdentity, '--wait', '--timeout', '60s']);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('STATUS: deployed');
    expect(install.stdout).toContain('kubectl port-forward -n skyflo svc/skyflo-engine 8080:8080');
    expect(await harness.tryGet('crd', 'skyfloais.skyflo.ai', '')).toBeDefined();
    const operatorDeployment = await harness.tryGet('deployment', 'skyflo-operator', 'skyflo');
    expect(operatorDeployment.status.readyReplicas).toBe(1);
    expect(operatorDeployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);

    // `helm test` before the operator made the engine: nothing answers at the engine's Service, and the test says so
    const early = await helm(['test', 'skyflo', '--kubeconfig', harness.kubeconfig, '--namespace', 'skyflo', '--logs', '--timeout', '60s']);
    expect(early.code, early.stdout + early.stderr).not.toBe(0);
    expect(early.stdout).toMatch(/TEST SUITE:\s+skyflo-test-engine-health[\s\S]*Phase:\s+Failed/);
    expect(early.stdout).toContain('curl: (6) Could not resolve host: skyflo-engine.skyflo.svc');

    // The operator process, authenticated as the chart's ServiceAccount and started with the chart's own arguments
    // (install mode, one namespace): only the chart's RBAC lets it work.
    const operatorKubeconfig = path.join(harness.directory, 'operator.kubeconfig');
    harness.sim.writeKubeconfig(operatorKubeconfig, { user: 'system:serviceaccount:skyflo:skyflo-operator' });
    const chartArgs: string[] = operatorDeployment.spec.template.spec.containers[0].args;
    expect(chartArgs).toEqual(expect.arrayContaining(['--mcp-rbac=install', '--namespace=skyflo']));
    // (no health port: the chart's fixed 8081 could be taken on a shared machine)
    const operator = harness.spawnOperator(chartArgs.filter((arg) => arg !== 'operator' && !arg.startsWith('--health-port')), {}, operatorKubeconfig);
    const sky = await eventually(async () => {
      const object = await harness.tryGet('skyfloai', 'skyflo', 'skyflo');
      return condition(object, 'Ready')?.status === 'True' ? object : undefined;
    }, { timeoutMs: 45_000, what: 'the SkyfloAI to be Ready' }).catch((error: Error) => {
      throw new Error(`${error.message}\noperator output:\n${operator.output()}`);
    });
    expect(sky.status.engine).toEqual({ phase: 'Running', readyReplicas: 1, desiredReplicas: 1 });
    const engine = await harness.tryGet('deployment', 'skyflo-engine', 'skyflo');
    const env = engine.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'LLM_MODEL', value: 'openai/gpt-4o' });
    expect(env).toContainEqual({ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'skyflo-llm', key: 'api-key' } } });
    expect(engine.spec.template.spec.containers[0].image).toBe('ghcr.io/skyflo-ai/skyflo:0.1.0');
    // the MCP server's RBAC is the chart's; what the older operator made is gone (deleted by name, all the operator may)
    expect((await harness.tryGet('clusterrolebinding', 'skyflo:skyflo:skyflo:mcp-access', '')).roleRef.name).toBe('skyflo:skyflo:skyflo:mcp-access');
    await eventually(async () => (await harness.tryGet('clusterrolebinding', 'skyflo:skyflo:skyflo:mcp', '')) === undefined && (await harness.tryGet('clusterrole', 'skyflo:skyflo:skyflo:mcp', '')) === undefined, { what: "the older operator's MCP RBAC to be removed" });
    const canI = async (user: string, ...args: string[]) => {
      const output = await harness.kubectl(['auth', 'can-i', ...args, '--as', `system:serviceaccount:skyflo:${user}`]).catch((error: Error) => error.message);
      // kubectl exits 1 with "no"; the command line itself holds neither word
      if (/\byes\b/.test(output)) return 'yes';
      if (/\bno\b/.test(output)) return 'no';
      throw new Error(`kubectl auth can-i ${args.join(' ')}: ${output}`);
    };
    expect(await canI('skyflo-mcp', 'create', 'secrets', '-n', 'skyflo')).toBe('no');
    // the operator itself, with the chart's rules: no Secret outside its namespace, no exec, no RBAC write, no escalate
    for (const check of [['get', 'secrets', '-n', 'default'], ['create', 'secrets', '-n', 'default'], ['create', 'pods/exec', '-n', 'skyflo'], ['create', 'clusterroles'], ['create', 'clusterrolebindings'], ['create', 'rolebindings', '-n', 'skyflo'], ['escalate', 'clusterroles'], ['bind', 'clusterroles'], ['patch', 'deployments', '-n', 'default']]) {
      expect(await canI('skyflo-operator', ...check), check.join(' ')).toBe('no');
    }
    expect(await canI('skyflo-operator', 'create', 'deployments', '-n', 'skyflo')).toBe('yes');
    expect(operator.output()).not.toMatch(/forbidden/i);

    // Whoever may edit the SkyfloAI cannot widen the MCP server's access through the operator: asking for
    // cluster-admin-like with engine enforcement leaves the chart's read-only RBAC as it is, and the status says what to run.
    await harness.kubectl(['patch', 'sky', 'skyflo', '-n', 'skyflo', '--type=merge', '-p', JSON.stringify({ spec: { rbac: { profile: 'cluster-admin-like' }, approvals: { enforcement: 'engine' } } })]);
    const widened = await eventually(async () => {
      const object = await harness.tryGet('skyfloai', 'skyflo', 'skyflo');
      return object?.status?.observedGeneration === object?.metadata.generation && condition(object, 'Degraded')?.reason === 'McpRbacMissing' ? object : undefined;
    }, { timeoutMs: 45_000, what: 'McpRbacMissing for a profile the chart was not installed with' });
    expect(condition(widened, 'Degraded').message).toContain('ClusterRole skyflo:skyflo:skyflo:mcp-access grants something else');
    expect(condition(widened, 'Degraded').message).toContain('helm upgrade --set skyfloai.accessProfile=cluster-admin-like --set skyfloai.approvals.enforcement=engine');
    expect(await canI('skyflo-mcp', 'patch', 'deployments', '-n', 'skyflo')).toBe('no');
    expect((await harness.tryGet('clusterrole', 'skyflo:skyflo:skyflo:mcp-access', '')).metadata.labels['skyflo.ai/rbac-profile']).toBe('read-only');
    await harness.kubectl(['patch', 'sky', 'skyflo', '-n', 'skyflo', '--type=merge', '-p', JSON.stringify({ spec: { rbac: { profile: 'read-only' }, approvals: { enforcement: 'cluster' } } })]);
    await eventually(async () => {
      const object = await harness.tryGet('skyfloai', 'skyflo', 'skyflo');
      return object?.status?.observedGeneration === object?.metadata.generation && condition(object, 'Ready')?.status === 'True';
    }, { timeoutMs: 45_000, what: 'Ready again on the profile the chart made' });
    expect(engine.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect((await harness.tryGet('serviceaccount', 'skyflo-engine', 'skyflo')).metadata.annotations).toMatchObject({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/skyflo' });
    expect((await harness.tryGet('service', 'skyflo-engine', 'skyflo')).spec.type).toBe('NodePort');

    // `helm test` with the engine running: the hook pod reaches /readyz through the Service
    const tested = await helm(['test', 'skyflo', '--kubeconfig', harness.kubeconfig, '--namespace', 'skyflo', '--timeout', '60s']);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/TEST SUITE:\s+skyflo-test-engine-health[\s\S]*Phase:\s+Succeeded/);

    // An older CRD in the cluster (without spec.service): `helm upgrade` leaves it as it is and says what to run
    const crdServicePath = '/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/service';
    await harness.kubectl(['patch', 'crd', 'skyfloais.skyflo.ai', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: crdServicePath }])]);
    const crdHasService = async () => Boolean((await harness.getJson(['get', 'crd', 'skyfloais.skyflo.ai'])).spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.service);
    expect(await crdHasService()).toBe(false);
    const upgrade = await helm(['upgrade', 'skyflo', chart, '--kubeconfig', harness.kubeconfig, '--namespace', 'skyflo', '--reuse-values']);
    expect(upgrade.code, upgrade.stderr).toBe(0);
    expect(await crdHasService()).toBe(false);
    expect(upgrade.stdout).toContain('helm upgrade never changes a CRD');
    expect(upgrade.stdout).toContain('kubectl apply --server-side --force-conflicts -f <this chart>/crds/');
    // the documented step brings the CRD up to date
    await harness.kubectl(['apply', '--server-side', '--force-conflicts', '-f', path.join(chart, 'crds')]);
    expect(await crdHasService()).toBe(true);
    expect(await harness.tryGet('skyfloai', 'skyflo', 'skyflo')).toBeDefined();

    // read-only is the default of a first install only: an upgrade keeps the access profile the SkyfloAI has
    expect((await harness.tryGet('skyfloai', 'skyflo', 'skyflo')).spec.rbac.profile).toBe('read-only');
    await harness.kubectl(['patch', 'sky', 'skyflo', '-n', 'skyflo', '--type=merge', '-p', JSON.stringify({ spec: { rbac: { profile: 'cluster-admin-like' } } })]);
    const keptProfile = await helm(['upgrade', 'skyflo', chart, '--kubeconfig', harness.kubeconfig, '--namespace', 'skyflo', '--reuse-values']);
    expect(keptProfile.code, keptProfile.stderr).toBe(0);
    expect((await harness.tryGet('skyfloai', 'skyflo', 'skyflo')).spec.rbac.profile).toBe('cluster-admin-like');
    // a profile that writes, with the default approvals.enforcement=cluster: the upgrade gave the executor its identity
    // (ServiceAccount skyflo-executor and its RBAC), and the operator, with only the chart's RBAC, made the executor
    // and its webhook; the MCP server's own identity stays read-only
    const enforced = await eventually(async () => {
      const webhook = await harness.tryGet('validatingwebhookconfiguration', 'skyflo-skyflo-skyflo-approvals', '');
      const executorDeployment = await harness.tryGet('deployment', 'skyflo-executor', 'skyflo');
      return webhook && executorDeployment ? { webhook, executorDeployment } : undefined;
    }, { timeoutMs: 45_000, what: 'the executor and its webhook' }).catch((error: Error) => {
      throw new Error(`${error.message}\noperator output:\n${operator.output()}`);
    });
    expect(enforced.webhook.webhooks[0].failurePolicy).toBe('Fail');
    expect(enforced.executorDeployment.spec.template.spec.serviceAccountName).toBe('skyflo-executor');
    expect(await harness.tryGet('serviceaccount', 'skyflo-executor', 'skyflo')).toBeDefined();
    expect((await harness.tryGet('clusterrole', 'skyflo:skyflo:skyflo:mcp-access', '')).rules.flatMap((rule: any) => rule.verbs)).not.toContain('patch');
    expect(condition(await harness.tryGet('skyfloai', 'skyflo', 'skyflo'), 'Degraded')?.status).not.toBe('True');
    expect(operator.output()).not.toMatch(/forbidden/i);
    // and an explicit value still changes it
    const narrowed = await helm(['upgrade', 'skyflo', chart, '--kubeconfig', harness.kubeconfig, '--namespace', 'skyflo', '--reuse-values', '--set', 'skyfloai.accessProfile=read-only']);
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect((await harness.tryGet('skyfloai', 'skyflo', 'skyflo')).spec.rbac.profile).toBe('read-only');

    // The documented teardown: delete the SkyfloAI while the operator runs (it removes the cluster RBAC), then uninstall.
    await harness.kubectl(['delete', 'sky', 'skyflo', '-n', 'skyflo']);
    await eventually(async () => (await harness.tryGet('deployment', 'skyflo-engine', 'skyflo')) === undefined, { timeoutMs: 90_000, what: 'cleanup after the SkyfloAI is deleted' }).catch(async (error: Error) => {
      const engine = await harness.tryGet('deployment', 'skyflo-engine', 'skyflo');
      const left = engine ? `the engine Deployment is left, owned by ${JSON.stringify(engine.metadata.ownerReferences)} (generation ${engine.metadata.generation}, annotations ${JSON.stringify(engine.metadata.annotations ?? {})})` : 'the MCP ClusterRole is left';
      throw new Error(`${error.message}: ${left}\noperator output:\n${operator.output()}`);
    });
    const uninstall = await helm(['uninstall', 'skyflo', '--kubeconfig', harness.kubeconfig, '--namespace', 'skyflo']);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect(await harness.tryGet('deployment', 'skyflo-operator', 'skyflo')).toBeUndefined();
    // the MCP server's RBAC was the chart's: it goes with the release
    expect(await harness.tryGet('clusterrole', 'skyflo:skyflo:skyflo:mcp-access', '')).toBeUndefined();
  });
});
