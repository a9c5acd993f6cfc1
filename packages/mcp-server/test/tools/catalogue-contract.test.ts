/**
 * What every listed tool promises a client (issue 3): a title, all four annotation hints as booleans, a
 * toolset tag (preview_tool_call alone is toolset-neutral), a description on every input field, and in
 * read-only mode nothing but readOnlyHint tools — none of which can print a kubeconfig or pass raw commands.
 * The annotation table (issue 10) says for each tool whether it is read-only, destructive and idempotent, and why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@modelcontextprotocol/client';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { createFakeCommandRunner } from '../../src/exec/fake-command-runner.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';

const deps: ToolDeps = {
  settings: { kubectlPath: 'kubectl', helmPath: 'helm', outputBudgetBytes: 24_000, readOnly: false, integrationsNamespace: 'default' },
  kubeConfig: new KubeConfig(),
  runner: createFakeCommandRunner(),
  jenkinsCredentials: { resolve: async () => { throw new Error('unused'); } },
};

type Kind = 'read-only' | 'write' | 'destructive';
/**
 * Every tool's annotations and why (issue 10). 'read-only' = readOnlyHint (never gated, never asked); 'write' =
 * changes state additively or only affects scheduling (gated, destructiveHint false); 'destructive' = can lose data
 * or take a service down (gated, destructiveHint true: the approval card and the elicitation question say so).
 * The second column is idempotentHint: repeating the call with the same arguments has no further effect.
 */
const ANNOTATIONS: Record<string, [Kind, boolean, string]> = {
  k8s_logs: ['read-only', true, 'reads container logs'],
  k8s_get: ['read-only', true, 'reads objects'],
  k8s_describe: ['read-only', true, 'reads an object and its events'],
  wait_for_x_seconds: ['read-only', true, 'only waits'],
  k8s_rollout_status: ['read-only', true, 'watches a rollout, changes nothing'],
  k8s_rollout_history: ['read-only', true, 'reads ReplicaSets/ControllerRevisions'],
  k8s_cluster_info: ['read-only', true, 'reads the API endpoint and version'],
  k8s_top_pods: ['read-only', true, 'reads metrics'],
  k8s_top_nodes: ['read-only', true, 'reads metrics'],
  k8s_auth_can_i: ['read-only', true, 'an access review is a question: it creates no stored object'],
  k8s_diff: ['read-only', true, 'server-side dry run: nothing is persisted'],
  k8s_apply: ['destructive', true, 'server-side apply with force overwrites live fields (replicas, images, data), so it can take a workload down or replace a Secret'],
  k8s_patch: ['destructive', false, 'can remove fields or set replicas to 0; a JSON patch that appends is not idempotent'],
  k8s_set_image: ['destructive', true, 'replaces every pod with the new image; a bad image takes the service down'],
  k8s_rollout_restart: ['destructive', false, 'replaces every pod; each call restarts them again'],
  k8s_scale: ['destructive', true, 'scaling to 0 (or below the load) takes the service down'],
  k8s_rollout_undo: ['destructive', false, 'goes back to an older template; a second undo flips back again'],
  k8s_cordon: ['write', true, 'only stops new pods landing on the node; running pods stay, undone by uncordon'],
  k8s_uncordon: ['write', true, 'makes a node schedulable again; removes nothing'],
  k8s_run_pod: ['write', false, 'adds a pod; a second call with the same name fails'],
  k8s_exec: ['destructive', false, 'runs an arbitrary command inside a container (rm, kill, a database shell…)'],
  k8s_port_forward: ['write', false, 'opens a local port to a pod; changes nothing in the cluster, each call opens a new forward'],
  k8s_delete: ['destructive', true, 'deletes the object (and what it owns); deleting again changes nothing more'],
  k8s_drain: ['destructive', true, 'evicts every pod from the node'],
  helm_list_releases: ['read-only', true, 'reads release records'],
  helm_status: ['read-only', true, 'reads a release'],
  helm_history: ['read-only', true, 'reads release revisions'],
  helm_get_values: ['read-only', true, 'reads values (secrets redacted)'],
  helm_get_manifest: ['read-only', true, 'reads the rendered manifest'],
  helm_show_values: ['read-only', true, 'reads a chart'],
  helm_search_repo: ['read-only', true, 'reads the local repository index'],
  helm_template: ['read-only', true, 'renders locally, installs nothing'],
  helm_upgrade_diff: ['read-only', true, 'renders with --dry-run=client and diffs'],
  helm_repo_add: ['write', true, "adds an entry to helm's repositories.yaml; touches no cluster"],
  helm_repo_update: ['write', true, 'refreshes the local index cache'],
  helm_repo_remove: ['write', true, 'removes a repository entry, restored by adding it again; touches no cluster'],
  helm_install: ['write', false, 'creates a new release; helm refuses to adopt objects that exist, and a second install of the name fails'],
  helm_install_with_values: ['write', false, 'as helm_install'],
  helm_upgrade: ['destructive', false, "replaces the release's objects: removed templates delete objects, new values can take the service down; each call adds a revision"],
  helm_uninstall: ['destructive', false, "deletes every object of the release; a second call fails (it's gone)"],
  helm_rollback: ['destructive', false, 'replaces the release with an older revision and adds a revision each time'],
  argo_list_rollouts: ['read-only', true, 'reads Rollouts'],
  argo_status: ['read-only', true, 'reads a Rollout'],
  argo_history: ['read-only', true, 'reads ReplicaSets'],
  argo_describe: ['read-only', true, 'reads a Rollout and its ReplicaSets'],
  argo_list_experiments: ['read-only', true, 'reads Experiments'],
  argo_list_analysisruns: ['read-only', true, 'reads AnalysisRuns'],
  argo_promote: ['destructive', false, 'moves traffic to the canary (fully with full=true); a bad canary then serves users; each call moves a step'],
  argo_pause_rollout: ['write', true, 'freezes the rollout where it is; pods and traffic stay'],
  argo_resume_rollout: ['destructive', true, 'lets the rollout continue shifting traffic to the new version'],
  argo_set_image: ['destructive', true, 'starts a rollout to a new image; a bad image reaches users as the steps advance'],
  argo_rollout_restart: ['destructive', false, 'replaces every pod of the Rollout; each call restarts them again'],
  argo_abort_rollout: ['destructive', true, 'scales the canary down and sends all traffic back to stable'],
  argo_undo: ['destructive', false, 'rolls the template back to an older revision; a second undo flips back'],
  jenkins_get_job: ['read-only', true, 'reads Jenkins'],
  jenkins_get_jobs: ['read-only', true, 'reads Jenkins'],
  jenkins_get_build: ['read-only', true, 'reads Jenkins'],
  jenkins_get_last_builds: ['read-only', true, 'reads Jenkins'],
  jenkins_get_build_log: ['read-only', true, 'reads Jenkins'],
  jenkins_get_job_scm: ['read-only', true, 'reads Jenkins'],
  jenkins_get_build_scm: ['read-only', true, 'reads Jenkins'],
  jenkins_get_build_changesets: ['read-only', true, 'reads Jenkins'],
  jenkins_whoami: ['read-only', true, 'reads Jenkins'],
  jenkins_get_job_parameters: ['read-only', true, 'reads Jenkins'],
  jenkins_trigger_build: ['destructive', false, 'runs a pipeline, which can do whatever the job does (deploy, delete); each call queues another build'],
  jenkins_update_build: ['write', true, "sets a build's display name or description"],
  jenkins_stop_build: ['destructive', true, 'aborts a running build, which can leave a deployment half done'],
  prometheus_query: ['read-only', true, 'reads Prometheus (an instant query)'],
  prometheus_query_range: ['read-only', true, 'reads Prometheus (a range query)'],
  prometheus_alerts: ['read-only', true, "reads Prometheus' alerts and rules"],
  prometheus_series: ['read-only', true, "reads Prometheus' series and label index"],
  loki_query_range: ['read-only', true, 'reads Loki (a log query)'],
  preview_tool_call: ['read-only', true, 'runs only read-only previews (refuses a preview tool that is not read-only)'],
  list_clusters: ['read-only', true, 'reads each cluster\'s version and identity (a SelfSubjectReview is a question: nothing is stored)'],
  capture_change_baseline: ['read-only', true, "reads the live state a change will replace (the engine's, before executing)"],
  verify_change: ['read-only', true, 'watches the objects a change touched (the engine\'s, after executing)'],
};

/** Tools of no toolset: preview_tool_call, and the engine's own (issue 21), which the engine never shows the model. */
const toolsetNeutral = new Set(['preview_tool_call', 'list_clusters', 'capture_change_baseline', 'verify_change']);

type Listed = Awaited<ReturnType<Client['listTools']>>['tools'];
let full: Listed;
let readOnly: Listed;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  for (const [mode, assign] of [[false, (tools: Listed) => (full = tools)], [true, (tools: Listed) => (readOnly = tools)]] as const) {
    const { client, close } = await connectInProcess({ deps, readOnly: mode });
    closers.push(close);
    assign((await client.listTools()).tools);
  }
});
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

describe('every listed tool', () => {
  it('has a title, all four hints, a toolset tag and described fields', () => {
    expect(full.length).toBeGreaterThanOrEqual(67);
    const problems: string[] = [];
    for (const tool of full) {
      if (!tool.title) problems.push(`${tool.name}: no title`);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        if (typeof tool.annotations?.[hint] !== 'boolean') problems.push(`${tool.name}: ${hint} not set`);
      }
      const toolset = tool._meta?.['skyflo.ai/toolset'];
      if (!toolsetNeutral.has(tool.name) && !['k8s', 'helm', 'argo', 'jenkins', 'observability'].includes(String(toolset))) problems.push(`${tool.name}: no toolset tag`);
      for (const [field, schema] of Object.entries((tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>)) {
        if (!schema.description) problems.push(`${tool.name}.${field}: no description`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('says openWorldHint true only for tools that reach outside the cluster', () => {
    const open = full.filter((tool) => tool.annotations?.openWorldHint).map((tool) => tool.name);
    const outside = /^(jenkins|helm|prometheus|loki)_/;
    expect(open.filter((name) => !outside.test(name))).toEqual([]);
    expect(full.filter((tool) => /^(jenkins|prometheus|loki)_/.test(tool.name)).every((tool) => tool.annotations?.openWorldHint === true)).toBe(true);
    expect(open).toEqual(expect.arrayContaining(['helm_repo_add', 'helm_install', 'jenkins_get_build']));
  });
});

describe('annotations', () => {
  it('match the table above for every listed tool, with a reason for each', () => {
    const listed = Object.fromEntries(
      full.map((tool) => {
        const hints = tool.annotations!;
        const kind: Kind = hints.readOnlyHint ? 'read-only' : hints.destructiveHint ? 'destructive' : 'write';
        return [tool.name, [kind, hints.idempotentHint]];
      }),
    );
    const expected = Object.fromEntries(Object.entries(ANNOTATIONS).map(([name, [kind, idempotent]]) => [name, [kind, idempotent]]));
    expect(listed).toEqual(expected);
    expect(Object.entries(ANNOTATIONS).filter(([, [, , reason]]) => reason.length < 8).map(([name]) => name)).toEqual([]);
    // read-only tools never claim to be destructive
    expect(full.filter((tool) => tool.annotations?.readOnlyHint && tool.annotations.destructiveHint).map((tool) => tool.name)).toEqual([]);
  });

  it('badges every tool the issue names as destructive', () => {
    for (const name of ['k8s_exec', 'k8s_apply', 'k8s_patch', 'k8s_scale', 'helm_upgrade', 'argo_set_image', 'k8s_delete', 'k8s_drain', 'helm_uninstall', 'helm_rollback', 'k8s_rollout_undo', 'argo_undo', 'argo_abort_rollout', 'jenkins_stop_build']) {
      expect(full.find((tool) => tool.name === name)?.annotations?.destructiveHint, name).toBe(true);
    }
  });
});

describe('read-only mode', () => {
  it('lists exactly the readOnlyHint tools, and none that could export credentials or run arbitrary commands', () => {
    expect(readOnly.map((tool) => tool.name).sort()).toEqual(full.filter((tool) => tool.annotations?.readOnlyHint === true).map((tool) => tool.name).sort());
    const names = readOnly.map((tool) => tool.name);
    for (const name of ['k8s_exec', 'k8s_run_pod', 'k8s_port_forward', 'helm_repo_add']) expect(names).not.toContain(name);
    expect(names.filter((name) => /kubeconfig|config_view|raw|passthrough|kubectl$/.test(name))).toEqual([]);
  });
});
