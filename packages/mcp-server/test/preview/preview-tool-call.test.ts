/**
 * preview_tool_call against kube-sim and the real helm: for every tool that has a preview, the preview
 * returns the diff of the change and the cluster stays as it was; tools without one, unknown tools and bad
 * arguments get clear errors; a preview that would reach a mutating tool is refused. Over MCP, previewable
 * tools carry `_meta["skyflo.ai/preview"]` and preview_tool_call is listed read-only, also in read-only mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { allTools } from '../../src/catalogue.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { mcpMetaKeys } from '@skyflo/protocol';
import { createPreviewToolCall, isPreviewable } from '../../src/tools/preview/preview-tool-call.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import { defineTool, type AnyToolDefinition } from '../../src/contract/tool-definition.ts';
import { textOutputShape } from '../../src/tools/output-shapes.ts';
import { chartsDir, createHelmHome, demoChartDir, type HelmTestEnv } from '../support/helm-test-env.ts';
import { eventually, startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
let helmHome: HelmTestEnv;
let deps: ToolDeps;

const manifest = (name: string, image: string, replicas = 1) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: main, image: "${image}"}]}\n`;

const call = (name: string, input: Record<string, unknown>) => runTool(allTools.find((tool) => tool.name === name)!, input, deps, { signal: new AbortController().signal });
const preview = (tool: string, args: Record<string, unknown>) => call('preview_tool_call', { tool, arguments: args });

function get(resource: string, group: string, namespace: string | undefined, name: string) {
  return harness.sim.cluster.store.get(harness.sim.cluster.registry.byResource(group, resource)!, namespace, name);
}
/** What a change to a workload would touch: spec, labels, annotations (status moves on its own). */
function workload(name: string, namespace = 'default') {
  const object = get('deployments', 'apps', namespace, name);
  return object && JSON.stringify({ spec: object.spec, labels: object.metadata.labels, annotations: object.metadata.annotations });
}
/** Helm keeps one Secret per release revision. */
function releaseRevisions(namespace: string): string[] {
  const secrets = harness.sim.cluster.store.list(harness.sim.cluster.registry.byResource('', 'secrets')!, namespace);
  return secrets.map((secret) => secret.metadata.name ?? '').filter((name) => name.startsWith('sh.helm.release.')).sort();
}

beforeAll(async () => {
  harness = await startKubeHarness();
  helmHome = await createHelmHome();
  deps = harness.depsWith({ helmEnv: helmHome.helmEnv, helmChartDirs: [chartsDir] });
  expect((await call('k8s_apply', { content: manifest('web', 'nginx:1.27', 2) })).isError).toBeFalsy();
  expect((await call('k8s_apply', { content: manifest('api', 'nginx:1.27') })).isError).toBeFalsy();
  expect((await call('k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep-me, namespace: default}\ndata: {a: "1"}\n' })).isError).toBeFalsy();
  // api gets a second revision, so a rollback has something to go back to
  const apiReplicaSets = () => harness.sim.cluster.store.list(harness.sim.cluster.registry.byResource('apps', 'replicasets')!, 'default').filter((rs) => rs.metadata.name?.startsWith('api-'));
  await eventually(() => expect(apiReplicaSets()).toHaveLength(1));
  expect((await call('k8s_set_image', { resource_name: 'api', resource_type: 'deployment', container_images: 'main=nginx:1.28' })).isError).toBeFalsy();
  await eventually(() => expect(apiReplicaSets()).toHaveLength(2));
  // release "shop" at revision 2 (replicaCount 1, then 2)
  const installed = await call('helm_install', { release_name: 'shop', chart: demoChartDir, namespace: 'store', create_namespace: true, wait: false });
  expect(installed.isError, installed.text).toBeFalsy();
  const upgraded = await call('helm_upgrade', { release_name: 'shop', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 2\n', wait: false });
  expect(upgraded.isError, upgraded.text).toBeFalsy();
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await helmHome?.cleanup();
});

interface PreviewCase {
  args: Record<string, unknown>;
  /** a line of the diff that shows the change */
  shows: RegExp;
  /** the cluster state the real call would change */
  state: () => unknown;
}

const cases: Record<string, PreviewCase> = {
  k8s_apply: { args: { content: manifest('web', 'nginx:1.27', 4) }, shows: /^\+\s+replicas: 4$/m, state: () => workload('web') },
  k8s_patch: { args: { name: 'web', resource_type: 'deployment', patch: '{"metadata":{"labels":{"tier":"edge"}}}' }, shows: /^\+\s+tier: edge$/m, state: () => workload('web') },
  k8s_scale: { args: { name: 'web', resource_type: 'deployment', replicas: 7 }, shows: /^-\s+replicas: 2\n\+\s+replicas: 7$/m, state: () => workload('web') },
  k8s_set_image: { args: { resource_name: 'web', resource_type: 'deployment', container_images: 'main=nginx:1.29' }, shows: /^\+\s+image: nginx:1\.29$/m, state: () => workload('web') },
  k8s_rollout_undo: { args: { name: 'api', resource_type: 'deployment' }, shows: /^-\s+image: nginx:1\.28\n\+\s+image: nginx:1\.27$/m, state: () => workload('api') },
  k8s_rollout_restart: { args: { name: 'web' }, shows: /^\+\s+kubectl\.kubernetes\.io\/restartedAt: <the time of execution>$/m, state: () => workload('web') },
  k8s_delete: { args: { name: 'keep-me', resource_type: 'configmap' }, shows: /^-\s+a: "1"$/m, state: () => get('configmaps', '', 'default', 'keep-me')?.metadata.uid },
  helm_install: { args: { release_name: 'fresh', chart: demoChartDir, namespace: 'store', wait: false }, shows: /^\+\s+name: fresh-web$/m, state: () => [releaseRevisions('store'), workload('fresh-web', 'store')] },
  helm_install_with_values: {
    args: { release_name: 'valued', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 3\n', wait: false },
    shows: /^\+\s+replicas: 3$/m,
    state: () => [releaseRevisions('store'), workload('valued-web', 'store')],
  },
  helm_upgrade: { args: { release_name: 'shop', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 5\n', wait: false }, shows: /^\+\s+replicas: 5$/m, state: () => [releaseRevisions('store'), workload('shop-web', 'store')] },
  helm_rollback: { args: { release_name: 'shop', revision: 1, namespace: 'store', wait: false }, shows: /^-\s+replicas: 2\n\+\s+replicas: 1$/m, state: () => [releaseRevisions('store'), workload('shop-web', 'store')] },
};

describe('preview_tool_call', () => {
  it('has a case below for every tool that has a preview', () => {
    expect(Object.keys(cases).sort()).toEqual(allTools.filter((tool) => tool.preview).map((tool) => tool.name).sort());
  });

  it.each(Object.entries(cases))('%s: returns the diff and leaves the cluster unchanged', async (tool, { args, shows, state }) => {
    const before = state();
    const result = await preview(tool, args);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).toMatch(shows);
    expect(result.structured).toMatchObject({ tool, previewTool: allTools.find((candidate) => candidate.name === tool)!.preview!.tool });
    expect(state()).toEqual(before);
  });

  it('says which tools it can preview when a tool has none, or does not exist', async () => {
    const none = await preview('k8s_get', { resource_type: 'pods' });
    expect(none.isError).toBe(true);
    expect(none.text).toMatch(/k8s_get has no preview\.\nTry: only these tools can be previewed: .*k8s_scale/);
    const unknown = await preview('k8s_launch_rockets', {});
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/Unknown tool "k8s_launch_rockets"/);
  });

  it("checks the arguments against the previewed tool's schema before running anything", async () => {
    const before = workload('web');
    const result = await preview('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 'lots' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/Invalid arguments for k8s_scale: replicas: /);
    expect(result.structured).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    const hostile = await preview('k8s_delete', { name: '--all', resource_type: 'configmap' });
    expect(hostile.isError).toBe(true);
    expect(hostile.text).toMatch(/values may not start with "-"/);
    expect(get('configmaps', '', 'default', 'keep-me')).toBeDefined();
    expect(workload('web')).toBe(before);
  });

  it("returns the call's risk flags with the preview (issue 7 item 13)", async () => {
    const scale = await preview('k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 0 });
    expect(scale.structured?.['risks']).toEqual([expect.objectContaining({ code: 'SCALE_TO_ZERO', severity: 'high' })]);
    const pod = (index: number) => `apiVersion: v1\nkind: Pod\nmetadata: {name: escape-${index}, namespace: default}\nspec:\n  hostPID: true\n  containers: [{name: c, image: busybox, securityContext: {privileged: true}}]\n`;
    const many = await preview('k8s_apply', { content: Array.from({ length: 20 }, (_, index) => pod(index)).join('---\n') });
    expect(many.isError, many.text).toBeFalsy();
    const risks = many.structured?.['risks'] as Array<{ code: string; message: string }>;
    expect(risks).toHaveLength(25);
    expect(risks.slice(0, 24).every((risk) => risk.code === 'PRIVILEGED_POD' || risk.code === 'HOST_NAMESPACE')).toBe(true);
    expect(risks[24]).toMatchObject({ code: 'MORE_RISKS', severity: 'high', message: '16 more risk flag(s) not listed (HOST_NAMESPACE, PRIVILEGED_POD).' });
  });

  it('refuses a preview that would call a mutating tool', async () => {
    const ran: string[] = [];
    const mutate = defineTool({
      name: 'k8s_mutate',
      title: 'Mutate',
      description: 'changes things',
      toolset: 'k8s',
      inputSchema: { name: z.string().describe('name') },
      outputSchema: textOutputShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
      handler: async (input) => {
        ran.push(input.name);
        return { text: 'changed' };
      },
    });
    const sneaky = defineTool({ ...mutate, name: 'k8s_sneaky', preview: { tool: 'k8s_mutate', mapArguments: (input: { name: string }) => input } });
    const previewTool = createPreviewToolCall([mutate, sneaky] as AnyToolDefinition<ToolDeps>[]);
    const result = await runTool(previewTool, { tool: 'k8s_sneaky', arguments: { name: 'x' } }, deps, { signal: new AbortController().signal });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/preview tool "k8s_mutate" is not a read-only tool, so it is not run/);
    expect(ran).toEqual([]);
  });
});

describe('over MCP', () => {
  it('flags previewable tools in the listing and previews through the wire', async () => {
    const { client, close } = await connectInProcess({ deps });
    try {
      const { tools } = await client.listTools();
      const flagged = tools.filter((tool) => tool._meta?.[mcpMetaKeys.preview] === true).map((tool) => tool.name).sort();
      // the tool-backed previews above, plus the tools that describe their own calls (argo_undo, jenkins_*)
      expect(flagged).toEqual(allTools.filter(isPreviewable).map((tool) => tool.name).sort());
      expect(flagged).toEqual(expect.arrayContaining([...Object.keys(cases), 'argo_undo', 'jenkins_stop_build', 'jenkins_update_build']));
      const previewTool = tools.find((tool) => tool.name === 'preview_tool_call')!;
      expect(previewTool).toMatchObject({ title: 'Preview a tool call', annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true } });
      expect(previewTool._meta?.['skyflo.ai/toolset']).toBeUndefined();
      const before = workload('web');
      const result = await client.callTool({ name: 'preview_tool_call', arguments: { tool: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 3 } } });
      expect(result.isError).toBeFalsy();
      expect((result.content as Array<{ text: string }>)[0]!.text).toMatch(/^\+\s+replicas: 3$/m);
      // structuredContent, checked by the SDK client against the listed outputSchema
      expect(previewTool.outputSchema).toMatchObject({ type: 'object', required: expect.arrayContaining(['resolved_arguments', 'risks', 'diff']) });
      expect(result.structuredContent).toEqual({
        tool: 'k8s_scale',
        previewTool: 'k8s_diff',
        resolved_arguments: { name: 'web', resource_type: 'deployment', replicas: 3 },
        resolution: [],
        diff: expect.stringMatching(/^\+\s+replicas: 3$/m),
        changed: true,
        risks: [],
        // issue 34: what an approval the cluster enforces grants (the scale subresource, its dry-run content)
        access: [{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'default', name: 'web', verbs: ['patch'], contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) }],
        text: expect.stringMatching(/^\+\s+replicas: 3$/m),
      });
      expect(workload('web')).toBe(before);
    } finally {
      await close();
    }
  });

  it('stays listed and callable in read-only mode', async () => {
    const { client, close } = await connectInProcess({ deps, readOnly: true });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('preview_tool_call');
      expect(tools.map((tool) => tool.name)).not.toContain('k8s_scale');
      const result = await client.callTool({ name: 'preview_tool_call', arguments: { tool: 'k8s_delete', arguments: { name: 'keep-me', resource_type: 'configmap' } } });
      expect(result.isError).toBeFalsy();
      expect(get('configmaps', '', 'default', 'keep-me')).toBeDefined();
    } finally {
      await close();
    }
  });
});
