/**
 * Structured output per the MCP spec (2025-06-18, issue 10): every listed tool declares an outputSchema, and every
 * read tool, called over MCP on kube-sim (with a Helm release, an Argo Rollout and jenkins-sim), answers with
 * structuredContent that the SDK client validates against that schema (callTool throws on a mismatch) and that
 * we validate again here. Our own `_meta` keys all use the `skyflo.ai/` prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Client } from '@modelcontextprotocol/client';
import { installArgoRolloutsCrds } from '@skyflo/sandbox/kube-sim';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { allTools } from '../../src/catalogue.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { chartsDir, createHelmHome, demoChartDir, startChartRepository, type ChartRepository, type HelmTestEnv } from '../support/helm-test-env.ts';
import { eventually, startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
let helmHome: HelmTestEnv;
let repository: ChartRepository;
let jenkins: JenkinsSim;
let deps: ToolDeps;
let client: Client;
let close: () => Promise<void>;
let podName: string;
const jenkinsAuth = { credentials_ref: 'skyflo/jenkins' };

beforeAll(async () => {
  harness = await startKubeHarness({ observability: {} });
  installArgoRolloutsCrds(harness.sim.cluster);
  helmHome = await createHelmHome();
  repository = await startChartRepository(helmHome);
  jenkins = await startJenkinsSim({
    buildDurationMs: 50,
    queueDelayMs: 10,
    scenario: { jobs: [{ type: 'pipeline', name: 'deploy', parameters: [{ name: 'ENV', type: 'string', default: 'staging' }], scm: { url: 'https://git.example.com/app.git', branch: 'main' }, builds: [{ result: 'SUCCESS', changeSet: [{ commitId: 'a1b2c3d', msg: 'Fix', author: 'Ada', affectedPaths: ['a.ts'] }], revision: 'a1b2c3d4e5' }] }] },
  });
  deps = harness.depsWith({ helmEnv: helmHome.helmEnv, helmChartDirs: [chartsDir] });
  deps = { ...deps, jenkinsCredentials: { resolve: async () => ({ apiUrl: jenkins.url, username: 'admin', apiToken: jenkins.token }) } };
  // kube-sim's own Prometheus and Loki APIs (issue 36)
  deps = { ...deps, observabilitySources: { prometheus: { url: harness.sim.observability!.url }, loki: { url: harness.sim.observability!.url } } };
  const setUp = async (name: string, input: Record<string, unknown>) => {
    const result = await harness.call(name, input, deps);
    expect(result.isError, `${name}: ${result.text}`).toBeFalsy();
  };
  await setUp('k8s_apply', {
    content:
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: main, image: "nginx:1.27"}]}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: checkout, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: checkout}}\n  template:\n    metadata: {labels: {app: checkout}}\n    spec: {containers: [{name: web, image: "nginx:1.26"}]}\n  strategy: {canary: {steps: [{setWeight: 50}]}}\n',
  });
  await setUp('helm_install', { release_name: 'shop', chart: demoChartDir, namespace: 'store', create_namespace: true, wait: false });
  await setUp('helm_repo_add', { name: 'local', url: repository.url });
  podName = await eventually(() => {
    const pods = harness.sim.cluster.store.list(harness.sim.cluster.registry.byResource('', 'pods')!, 'default').filter((pod) => pod.metadata.name?.startsWith('web-'));
    expect(pods.length).toBeGreaterThan(0);
    return pods[0]!.metadata.name!;
  });
  ({ client, close } = await connectInProcess({ deps }));
}, 60_000);

afterAll(async () => {
  await close?.();
  await jenkins?.close();
  await repository?.close();
  await harness?.close();
  await helmHome?.cleanup();
});

/** One successful call per read tool. */
const readCalls: Record<string, () => Record<string, unknown>> = {
  k8s_get: () => ({ resource_type: 'deployments', namespace: 'default' }),
  k8s_describe: () => ({ resource_type: 'deployment', name: 'web', namespace: 'default' }),
  k8s_logs: () => ({ pod_name: podName, namespace: 'default' }),
  wait_for_x_seconds: () => ({ seconds: 0 }),
  k8s_rollout_status: () => ({ name: 'web', namespace: 'default', timeout_seconds: 10 }),
  k8s_rollout_history: () => ({ name: 'web', resource_type: 'deployment', namespace: 'default' }),
  k8s_cluster_info: () => ({}),
  k8s_top_pods: () => ({ namespace: 'default' }),
  k8s_top_nodes: () => ({}),
  k8s_auth_can_i: () => ({ verb: 'get', resource: 'pods', namespace: 'default' }),
  k8s_diff: () => ({ operation: 'scale', name: 'web', resource_type: 'deployment', namespace: 'default', replicas: 3 }),
  helm_list_releases: () => ({ all_namespaces: true }),
  helm_status: () => ({ release_name: 'shop', namespace: 'store' }),
  helm_history: () => ({ release_name: 'shop', namespace: 'store' }),
  helm_get_values: () => ({ release_name: 'shop', namespace: 'store' }),
  helm_get_manifest: () => ({ release_name: 'shop', namespace: 'store' }),
  helm_show_values: () => ({ chart: demoChartDir }),
  helm_search_repo: () => ({ keyword: 'demo' }),
  helm_template: () => ({ release_name: 'shop', chart: demoChartDir, namespace: 'store' }),
  helm_upgrade_diff: () => ({ release_name: 'shop', namespace: 'store', chart: demoChartDir, values: 'replicaCount: 3\n' }),
  argo_list_rollouts: () => ({ namespace: 'default' }),
  argo_status: () => ({ name: 'checkout', namespace: 'default' }),
  argo_history: () => ({ name: 'checkout', namespace: 'default' }),
  argo_describe: () => ({ name: 'checkout', namespace: 'default' }),
  argo_list_experiments: () => ({ namespace: 'default' }),
  argo_list_analysisruns: () => ({ namespace: 'default' }),
  jenkins_whoami: () => jenkinsAuth,
  jenkins_get_jobs: () => jenkinsAuth,
  jenkins_get_job: () => ({ ...jenkinsAuth, jobFullName: 'deploy' }),
  jenkins_get_build: () => ({ ...jenkinsAuth, jobFullName: 'deploy', build: 1 }),
  jenkins_get_last_builds: () => ({ ...jenkinsAuth, jobFullName: 'deploy' }),
  jenkins_get_build_log: () => ({ ...jenkinsAuth, jobFullName: 'deploy', build: 1 }),
  jenkins_get_job_scm: () => ({ ...jenkinsAuth, jobFullName: 'deploy' }),
  jenkins_get_build_scm: () => ({ ...jenkinsAuth, jobFullName: 'deploy', build: 1 }),
  jenkins_get_build_changesets: () => ({ ...jenkinsAuth, jobFullName: 'deploy', build: 1 }),
  jenkins_get_job_parameters: () => ({ ...jenkinsAuth, jobFullName: 'deploy' }),
  prometheus_query: () => ({ query: 'sum by (namespace) (kube_pod_status_phase{phase="Running"})' }),
  prometheus_query_range: () => ({ query: 'sum by (pod) (rate(container_cpu_usage_seconds_total[5m]))', start: '15m' }),
  prometheus_alerts: () => ({ include_rules: true }),
  prometheus_series: () => ({ match: ['kube_deployment_spec_replicas'] }),
  loki_query_range: () => ({ query: '{namespace="default"}', limit: 5 }),
  preview_tool_call: () => ({ tool: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', namespace: 'default', replicas: 2 } }),
  list_clusters: () => ({}),
  capture_change_baseline: () => ({ tool: 'k8s_scale', args: { name: 'web', resource_type: 'deployment', namespace: 'default', replicas: 2 } }),
  verify_change: () => ({ tool: 'k8s_scale', args: { name: 'web', resource_type: 'deployment', namespace: 'default', replicas: 1 }, timeout_seconds: 30, hold_seconds: 0 }),
};

describe('outputSchema and structuredContent', () => {
  it('every listed tool declares an object outputSchema, and our _meta keys use the skyflo.ai/ prefix', async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBe(allTools.length);
    expect(tools.filter((tool) => tool.outputSchema?.type !== 'object').map((tool) => tool.name)).toEqual([]);
    const foreignKeys = tools.flatMap((tool) => Object.keys(tool._meta ?? {}).filter((key) => !key.startsWith('skyflo.ai/')));
    expect(foreignKeys).toEqual([]);
  });

  it('the read calls here cover every read-only tool', () => {
    const readTools = allTools.filter((tool) => tool.annotations.readOnlyHint).map((tool) => tool.name).sort();
    expect(Object.keys(readCalls).sort()).toEqual(readTools);
  });

  it.each(Object.keys(readCalls))('%s answers with structuredContent that matches its outputSchema', async (name) => {
    // The SDK client validates structuredContent against the listed outputSchema and throws on a mismatch.
    const result = await client.callTool({ name, arguments: readCalls[name]!() });
    const text = (result.content as Array<{ type: string; text: string }>)[0]!.text;
    expect(result.isError, text).toBeFalsy();
    expect(result.structuredContent).toBeDefined();
    const definition = allTools.find((tool) => tool.name === name)!;
    const strict = z.strictObject(definition.outputSchema).safeParse(result.structuredContent);
    expect(strict.success, JSON.stringify(strict.error?.issues)).toBe(true);
    const structured = result.structuredContent as { text: string; truncated?: boolean };
    if (!structured.truncated) expect(structured.text).toBe(text);
  });

  it('a failure carries isError and its structured error under _meta["skyflo.ai/structured"], not structuredContent', async () => {
    const result = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'gizmos' } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(result._meta?.['skyflo.ai/structured']).toMatchObject({ error: { code: expect.any(String) } });
  });

  it('preview_tool_call.arguments has a precise schema: an object whose values are JSON', async () => {
    const { tools } = await client.listTools();
    const schema = tools.find((tool) => tool.name === 'preview_tool_call')!.inputSchema as unknown as { properties: { arguments: { type?: string; additionalProperties?: unknown } } };
    expect(schema.properties.arguments.type).toBe('object');
    expect(schema.properties.arguments.additionalProperties).not.toEqual({});
  });
});
