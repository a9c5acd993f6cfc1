/**
 * Issue 7 item 2: what is approved is what runs. For every tool preview_tool_call accepts, on kube-sim (and
 * jenkins-sim for the Jenkins tools): relative arguments come back absolute in resolved_arguments; previewing
 * the resolved arguments again gives byte-identical text (the engine compares the sha-256 of the preview text
 * right before executing) and resolves nothing further; and a real change of the target between two previews
 * changes the text, so the engine refuses the stale approval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installArgoRolloutsCrds } from '@skyflo/sandbox/kube-sim';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { allTools } from '../../src/catalogue.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import type { PreviewToolCallResult } from '@skyflo/protocol';
import { isPreviewable } from '../../src/tools/preview/preview-tool-call.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import type { ToolOutput } from '../../src/contract/tool-definition.ts';
import { chartsDir, createHelmHome, demoChartDir, type HelmTestEnv } from '../support/helm-test-env.ts';
import { eventually, startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
let helmHome: HelmTestEnv;
let jenkins: JenkinsSim;
let deps: ToolDeps;
const jenkinsRef = { credentials_ref: 'skyflo/jenkins-integration' };

const call = (name: string, input: Record<string, unknown>): Promise<ToolOutput> => runTool(allTools.find((tool) => tool.name === name)!, input, deps, { signal: new AbortController().signal });
const preview = (tool: string, args: Record<string, unknown>) => call('preview_tool_call', { tool, arguments: args });
async function must(name: string, input: Record<string, unknown>): Promise<ToolOutput> {
  const result = await call(name, input);
  expect(result.isError, `${name}: ${result.text}`).toBeFalsy();
  return result;
}
const structuredOf = (result: ToolOutput) => result.structured as unknown as PreviewToolCallResult;

const deployment = (name: string, image: string, replicas = 2) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default, labels: {tier: web}}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: main, image: "${image}"}]}\n`;

const store = () => harness.sim.cluster.store;
const replicaSetsOf = (name: string) => store().list(harness.sim.cluster.registry.byResource('apps', 'replicasets')!, 'default').filter((rs) => rs.metadata.name?.startsWith(`${name}-`));
const rolloutType = () => harness.sim.cluster.resourceFor({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' })!;
const rollout = () => store().get(rolloutType(), 'default', 'checkout')!;

async function newRevision(name: string, image: string, revisions: number): Promise<void> {
  await must('k8s_set_image', { resource_name: name, resource_type: 'deployment', container_images: `main=${image}` });
  await eventually(() => expect(replicaSetsOf(name)).toHaveLength(revisions));
}

beforeAll(async () => {
  harness = await startKubeHarness();
  installArgoRolloutsCrds(harness.sim.cluster);
  helmHome = await createHelmHome();
  jenkins = await startJenkinsSim({
    buildDurationMs: 150,
    queueDelayMs: 20,
    scenario: { jobs: [{ type: 'freestyle', name: 'nightly', buildDurationMs: 600_000, builds: [{ result: 'SUCCESS' }] }] },
  });
  deps = harness.depsWith({ helmEnv: helmHome.helmEnv, helmChartDirs: [chartsDir], jenkinsPollIntervalMs: 20 });
  // stands in for the integration Secret: the URL and the credentials come together
  deps.jenkinsCredentials = { resolve: async () => ({ apiUrl: jenkins.url, username: 'admin', apiToken: jenkins.token }) };

  for (const name of ['d-apply', 'd-patch', 'd-scale', 'd-image', 'd-restart']) await must('k8s_apply', { content: deployment(name, 'nginx:1.27') });
  await must('k8s_apply', { content: deployment('d-undo', 'nginx:1.27') });
  await eventually(() => expect(replicaSetsOf('d-undo')).toHaveLength(1));
  await newRevision('d-undo', 'nginx:1.28', 2);
  await must('k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-delete, namespace: default}\ndata: {a: "1"}\n' });
  // release shop at revision 2
  await must('helm_install', { release_name: 'shop', chart: demoChartDir, namespace: 'store', create_namespace: true, wait: false });
  await must('helm_upgrade', { release_name: 'shop', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 2\n', wait: false });
  // release doomed, for helm_uninstall's preview (what it deletes, issue 31)
  await must('helm_install', { release_name: 'doomed', chart: demoChartDir, namespace: 'store', wait: false });
  // Argo rollout: revision 1 (nginx:1.26) stable, revision 2 (nginx:1.27) paused at its first step
  store().create(rolloutType(), {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'checkout' } },
      template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } },
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
    },
  });
  await eventually(() => expect(rollout().status?.phase).toBe('Healthy'), 8000);
  await must('argo_set_image', { name: 'checkout', image: 'nginx:1.27', container_name: 'web' });
  await eventually(() => expect(rollout().status?.currentStepIndex).toBe(1), 8000);
  // a long build that is running while the previews run
  await must('jenkins_trigger_build', { ...jenkinsRef, jobFullName: 'nightly' });
}, 90_000);

afterAll(async () => {
  await Promise.all([harness?.close(), jenkins?.close()]);
  await helmHome?.cleanup();
});

interface DeterminismCase {
  /** the arguments as the model would send them (relative where the tool allows it) */
  args: Record<string, unknown>;
  /** what resolution must have made absolute */
  resolves?: Record<string, unknown>;
  /** a real change of the target, made between the approval and the execution */
  change: (resolved: Record<string, unknown>) => Promise<unknown>;
}

const cases: Record<string, DeterminismCase> = {
  k8s_apply: { args: { content: deployment('d-apply', 'nginx:1.27', 4) }, change: () => must('k8s_scale', { name: 'd-apply', resource_type: 'deployment', replicas: 3 }) },
  k8s_patch: {
    args: { name: 'd-patch', resource_type: 'deployment', patch: '{"metadata":{"labels":{"tier":"edge"}}}' },
    change: () => must('k8s_patch', { name: 'd-patch', resource_type: 'deployment', patch: '{"metadata":{"labels":{"tier":"core"}}}' }),
  },
  k8s_scale: { args: { name: 'd-scale', resource_type: 'deployment', replicas: 7 }, change: () => must('k8s_scale', { name: 'd-scale', resource_type: 'deployment', replicas: 3 }) },
  k8s_set_image: {
    args: { resource_name: 'd-image', resource_type: 'deployment', container_images: 'main=nginx:1.29' },
    change: () => must('k8s_set_image', { resource_name: 'd-image', resource_type: 'deployment', container_images: 'main=nginx:1.28' }),
  },
  // the restartedAt annotation is a placeholder in the preview; a restart that happened meanwhile changes it
  k8s_rollout_restart: { args: { name: 'd-restart' }, change: () => must('k8s_rollout_restart', { name: 'd-restart' }) },
  k8s_rollout_undo: { args: { name: 'd-undo', resource_type: 'deployment' }, resolves: { to_revision: 1 }, change: () => newRevision('d-undo', 'nginx:1.30-crash', 3) },
  k8s_delete: { args: { name: 'c-delete', resource_type: 'configmap' }, change: () => must('k8s_patch', { name: 'c-delete', resource_type: 'configmap', patch: '{"data":{"a":"2"}}' }) },
  helm_install: {
    args: { release_name: 'fresh', chart: demoChartDir, namespace: 'store', wait: false },
    resolves: { version: '0.1.0', chart_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    change: (resolved) => must('helm_install', resolved),
  },
  helm_install_with_values: {
    args: { release_name: 'valued', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 3\n', wait: false },
    resolves: { version: '0.1.0', chart_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    change: () => must('helm_install_with_values', { release_name: 'valued', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 1\n', wait: false }),
  },
  helm_upgrade: {
    args: { release_name: 'shop', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 5\n', wait: false },
    resolves: { version: '0.1.0', chart_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    change: () => must('helm_upgrade', { release_name: 'shop', chart: demoChartDir, namespace: 'store', values: 'greeting: bonjour\n', wait: false }),
  },
  helm_rollback: {
    args: { release_name: 'shop', namespace: 'store', wait: false },
    resolves: { revision: expect.any(Number) },
    change: () => must('helm_upgrade', { release_name: 'shop', chart: demoChartDir, namespace: 'store', values: 'replicaCount: 4\n', wait: false }),
  },
  // lists the objects it deletes; once the release is gone the preview says so instead
  helm_uninstall: { args: { release_name: 'doomed', namespace: 'store' }, change: (resolved) => must('helm_uninstall', resolved) },
  argo_undo: { args: { name: 'checkout' }, resolves: { to_revision: 1 }, change: () => must('argo_set_image', { name: 'checkout', image: 'nginx:1.28', container_name: 'web' }) },
  jenkins_update_build: {
    args: { ...jenkinsRef, jobFullName: 'nightly', build: 'lastSuccessfulBuild', description: 'verified by Skyflo' },
    resolves: { build: 1 },
    change: () => must('jenkins_update_build', { ...jenkinsRef, jobFullName: 'nightly', build: 1, description: 'changed by someone else' }),
  },
  jenkins_stop_build: { args: { ...jenkinsRef, jobFullName: 'nightly' }, resolves: { build: 2 }, change: (resolved) => must('jenkins_stop_build', resolved) },
};

describe('preview determinism and drift (every previewable tool)', () => {
  it('has a case for every tool preview_tool_call accepts', () => {
    expect(Object.keys(cases).sort()).toEqual(allTools.filter(isPreviewable).map((tool) => tool.name).sort());
  });

  it.each(Object.entries(cases))('%s: same text for the resolved call twice, different text after the target changed', async (tool, { args, resolves, change }) => {
    const first = await preview(tool, args);
    expect(first.isError, first.text).toBeFalsy();
    const resolved = structuredOf(first).resolved_arguments;
    if (resolves) {
      expect(resolved).toEqual({ ...args, ...resolves });
      expect(structuredOf(first).resolution.length).toBeGreaterThan(0);
    } else {
      expect(resolved).toEqual(args);
      expect(structuredOf(first).resolution).toEqual([]);
    }

    const second = await preview(tool, resolved);
    expect(second.isError, second.text).toBeFalsy();
    expect(second.text).toBe(first.text);
    expect(structuredOf(second).resolved_arguments).toEqual(resolved);
    expect(structuredOf(second).resolution).toEqual([]);

    await change(resolved);
    const third = await preview(tool, resolved);
    expect(third.text).not.toBe(first.text);
  });
});

describe('relative arguments are made absolute before approval (issue 7 item 2)', () => {
  it('k8s_rollout_undo: the approved "previous revision" stays the one previewed, even after a new revision', async () => {
    await must('k8s_apply', { content: deployment('d-drift', 'app:2.3.0') });
    await eventually(() => expect(replicaSetsOf('d-drift')).toHaveLength(1));
    await newRevision('d-drift', 'app:2.3.1', 2);
    const approved = await preview('k8s_rollout_undo', { name: 'd-drift', resource_type: 'deployment' });
    expect(approved.text).toMatch(/^-\s+image: app:2\.3\.1\n\+\s+image: app:2\.3\.0$/m);
    expect(structuredOf(approved).resolution).toEqual(['to_revision: previous → 1 (image app:2.3.0); current revision 2 (image app:2.3.1)']);
    const resolved = structuredOf(approved).resolved_arguments;
    expect(resolved).toEqual({ name: 'd-drift', resource_type: 'deployment', to_revision: 1 });

    // the deployment moves on before the approval lands: a crash-looping revision 3
    await newRevision('d-drift', 'app:2.3.2-crash', 3);
    // the engine re-runs the preview: the text differs, so it would refuse; and the resolved call, if run,
    // goes back to the previewed image, never to "the previous revision" of the moment (2.3.1)
    expect((await preview('k8s_rollout_undo', resolved)).text).not.toBe(approved.text);
    await must('k8s_rollout_undo', resolved);
    const live = store().get(harness.sim.cluster.registry.byResource('apps', 'deployments')!, 'default', 'd-drift')!;
    expect(live.spec.template.spec.containers[0].image).toBe('app:2.3.0');
  });

  it('re-previewing already-resolved arguments of a self-describing tool resolves nothing and keeps the text', async () => {
    const first = await preview('argo_undo', { name: 'checkout', to_revision: 2 });
    expect(first.isError, first.text).toBeFalsy();
    expect(structuredOf(first)).toMatchObject({ resolved_arguments: { name: 'checkout', to_revision: 2 }, resolution: [], previewTool: 'argo_undo' });
  });
});
