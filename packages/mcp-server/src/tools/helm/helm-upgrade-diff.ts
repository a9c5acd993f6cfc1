import { createHash } from 'node:crypto';
import { manifestObjectRefSchema, riskFlagSchema, type ManifestObjectRef, type RiskFlag } from '@skyflo/protocol';
import { createTwoFilesPatch } from 'diff';
import { parseAllDocuments, stringify } from 'yaml';
import { z } from 'zod';
import { applyOutputBudget } from '../../budgets/apply-output-budget.ts';
import { toolError } from '../../contract/errors.ts';
import { assertSafeName } from '../../exec/flag-guard.ts';
import { assessManifest, redactText } from '@skyflo/safety';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { chartDigestField, chartVersionField, namespaceField, optionalChartField, optionalValuesField, releaseNameField } from './helm-inputs.ts';
import { prepareChart, releaseCommandArgs } from './release-command.ts';
import { runHelm } from './run-helm.ts';
import { crdFilesOfArchive, crdFilesOfLocalChart, findGeneratedValues, findLiveClusterUse, templatesOfArchive, templatesOfLocalChart, templatesOfRelease, type LiveClusterUse, type TemplateSource } from './live-cluster-templates.ts';
import { chartArchive, renderByExecutor } from './executor-render.ts';
import { dryRunProxyFor, type DryRunProxyTarget } from '../../kube/dry-run-proxy.ts';
import type { ToolOutput } from '../../contract/tool-definition.ts';
import { readLiveSecretValues, redactLiveSecretValues } from './live-secret-values.ts';
import { withTextOutput } from '../output-shapes.ts';
import { manifestObjectsOf, touchedObjects } from './manifest-objects.ts';
import { helmReleaseAccess } from '../approved-access.ts';
import { helmStorageWrites, readHelmHistory, type HelmStorageWrites } from './helm-storage-writes.ts';
import { approvedAccessSchema } from '@skyflo/protocol';

export const helmUpgradeDiff = defineTool({
  name: 'helm_upgrade_diff',
  title: 'Diff Helm Upgrade',
  description:
    'Preview a helm upgrade/install (chart + values) or a rollback (to_revision) as a unified diff between the live release manifest and the manifest it would produce. Changes nothing. Renders against the live cluster as the install will (lookup and .Capabilities see the cluster; such charts are flagged LIVE_CLUSTER_TEMPLATE); Secret values, and live Secret values a template copied elsewhere, are redacted on both sides. manifest_digest is the sha-256 of the full rendered manifest.',
  toolset: 'helm',
  tags: ['diff'],
  inputSchema: {
    release_name: releaseNameField,
    namespace: namespaceField,
    chart: optionalChartField,
    values: optionalValuesField,
    reuse_values: z.boolean().default(false).describe("Merge the values over the release's current values, as helm_upgrade reuse_values does"),
    version: chartVersionField,
    chart_digest: chartDigestField,
    to_revision: z.number().int().min(1).optional().describe('Instead of a chart, diff against this earlier revision (the preview of helm_rollback)'),
  },
  outputSchema: withTextOutput({ changed: z.boolean().optional().describe('Whether the upgrade would change the manifest'), releaseExists: z.boolean().optional().describe('The release is installed (false: an install)'), diff: z.string().optional().describe('Unified diff of the live vs rendered manifest'), risks: z.array(riskFlagSchema).optional().describe('Risk flags from the rendered manifests'), manifest_digest: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional().describe('"sha256:<hex>" of the full, unredacted manifest (hooks included) the call would produce; changes whenever the cluster state a template reads changes'), objects: z.array(manifestObjectRefSchema).optional().describe('Every object of that manifest (kind, apiVersion, name, metadata.namespace), read from the same text the digest covers, and the live objects it would delete (removed)'), access: z.array(approvedAccessSchema).optional().describe('Every object the call writes or deletes with its verbs and, for a created object, the normalised dry-run content hash (approvals the cluster enforces)'), manifest: z.string().optional().describe("The engine's own connection only: the full rendered manifest the digest covers"), live_manifest: z.string().optional().describe("The engine's own connection only: the live release's manifest and hooks"), helm_storage: z.object({ create: z.number().int().optional(), update: z.array(z.number().int()), delete: z.array(z.number().int()) }).optional().describe("The engine's own connection only: the storage revisions the call writes") }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    if (input.to_revision === undefined && input.chart === undefined) {
      return toolError('Give either chart (to preview an upgrade or install) or to_revision (to preview a rollback).');
    }
    // issue 73 item 6: on a cluster that enforces approvals (a dry-run proxy is configured for it) the executor renders,
    // as its own identity: this server's may not read the release's storage Secrets there
    const executor = dryRunProxyFor(deps.kubeConfig);
    const rendered = executor ? await renderedByExecutor(input, deps, executor, context.signal) : await renderedHere(input, deps, context.signal);
    if ('output' in rendered) return rendered.output;
    const { exists, liveManifest, proposed, manifestDigest, storage, label, liveUse, generated, crdObjects } = rendered;
    // What the call writes, object by object, from the digested text (and what it deletes, from the live release, which
    // the diff shows): the engine judges the caller's scope on these.
    const objects = [...touchedObjects(liveManifest, proposed), ...crdObjects];
    const access = await helmReleaseAccess(deps, { release: input.release_name, namespace: input.namespace, proposed, live: liveManifest, storage, signal: context.signal });
    // issue 73: what the cluster's executor binds the call to — the engine's own connection only (the manifest holds
    // Secret values in clear, never shown to anyone else). Rendered by the executor, the manifest here is redacted and
    // not sent: the executor mints from its own render of the approved digest.
    const bound = context.trustedCaller ? { ...(executor ? {} : { manifest: proposed }), live_manifest: liveManifest, helm_storage: storage } : {};
    // the executor's answer holds no live Secret value already (and this identity may not list them there)
    const secretValues = !executor && liveUse.templates.some((template) => template.uses.includes('lookup')) ? await readLiveSecretValues(deps, input.namespace, context.signal) : [];
    const before = redactText(redactLiveSecretValues(liveManifest, secretValues));
    const after = redactText(redactLiveSecretValues(proposed, secretValues));
    const current = exists ? 'live' : 'not installed';
    // Risks of what the release would add or change (a chart's ClusterRoleBinding to cluster-admin shows here).
    const risks = [...assessManifest(changedDocuments(liveManifest, proposed), { namespace: input.namespace }), ...liveClusterRisk(liveUse), ...generatedValuesRisk(generated)];
    if (before === after) {
      return { text: `No changes: the ${label} manifest of ${input.namespace}/${input.release_name} matches the live release.`, structured: { changed: false, diff: '', risks, manifest_digest: manifestDigest, objects }, verbatim: { access, ...bound } };
    }
    const diff = createTwoFilesPatch(`${input.release_name} (${current})`, `${input.release_name} (${label})`, before, after, undefined, undefined, { context: 3 });
    const summary = summarizeDiff(diff);
    const text = applyOutputBudget(`${summary}\n${diff}`, { budgetBytes: deps.settings.outputBudgetBytes, kind: 'text', hint: 'render single objects with helm_template to inspect the rest' });
    return { text, structured: { changed: true, releaseExists: exists, diff: applyOutputBudget(diff, { budgetBytes: deps.settings.outputBudgetBytes, kind: 'text' }), risks, manifest_digest: manifestDigest, objects }, verbatim: { access, ...bound } };
  },
});

type PreviewInput = { release_name: string; namespace: string; chart?: string | undefined; values?: string | undefined; reuse_values: boolean; version?: string | undefined; chart_digest?: string | undefined; to_revision?: number | undefined };

/** What a preview diffs and binds, however it was rendered. */
interface Rendered {
  exists: boolean;
  liveManifest: string;
  proposed: string;
  /**
   * "sha256:<hex>" of the full, unredacted proposed manifest. It binds the approval to exactly this manifest; the engine
   * re-runs the preview right before executing and refuses (TARGET_CHANGED) when it differs, e.g. because an object a
   * template looks up appeared meanwhile.
   */
  manifestDigest: string;
  storage: HelmStorageWrites;
  label: string;
  liveUse: LiveClusterUse;
  generated: LiveClusterUse;
  /** an install also creates the chart's crds/ (not in the manifest): objects the caller's scope is judged on too */
  crdObjects: ManifestObjectRef[];
}

/** Rendered by this server's own helm, as its own identity (a cluster whose approvals the engine alone enforces). */
async function renderedHere(input: PreviewInput, deps: ToolDeps, signal: AbortSignal | undefined): Promise<Rendered | { output: ToolOutput }> {
  const live = await runHelm(deps, { args: ['get', 'manifest', input.release_name, '--namespace', input.namespace], signal });
  let liveManifest = '';
  if (live.ok) liveManifest = live.stdout;
  else if (!/not found/i.test(live.stderr ?? '')) return { output: live.output };
  const exists = live.ok;
  // Hooks are objects helm creates too (a pre-install ClusterRoleBinding is as real as a template), but they are
  // not in the release manifest: both sides show them, in `helm get hooks` form.
  if (exists) {
    const hooks = await runHelm(deps, { args: ['get', 'hooks', input.release_name, '--namespace', input.namespace], signal });
    if (!hooks.ok) return { output: hooks.output };
    liveManifest = joinManifests(liveManifest, hooks.stdout);
  }

  let proposed: string;
  // the live release's revision (its storage Secret is updated, the next one created): from the dry run's release
  let liveRevision: number | undefined;
  let label: string;
  let liveUse: LiveClusterUse = { templates: [] };
  let generated: LiveClusterUse = { templates: [] };
  let crdObjects: ManifestObjectRef[] = [];
  if (input.to_revision !== undefined) {
    if (!exists) return { output: toolError(`Release ${input.release_name} does not exist in namespace ${input.namespace}, so there is nothing to roll back.`, 'list releases with helm_list_releases.') };
    const target = await runHelm(deps, { args: ['get', 'manifest', input.release_name, '--namespace', input.namespace, '--revision', String(input.to_revision)], signal });
    if (!target.ok) return { output: target.output };
    const targetHooks = await runHelm(deps, { args: ['get', 'hooks', input.release_name, '--namespace', input.namespace, '--revision', String(input.to_revision)], signal });
    if (!targetHooks.ok) return { output: targetHooks.output };
    proposed = joinManifests(target.stdout, targetHooks.stdout);
    label = `revision ${input.to_revision}`;
  } else {
    // --dry-run=server: templates render with the cluster state the install will see (`lookup` finds live objects,
    // .Capabilities is the cluster's), so a chart that adds a ClusterRoleBinding only when lookup finds something
    // shows it here. Live Secret values a template copies into the manifest are redacted before display.
    const chart = await prepareChart(deps, { chart: input.chart!, version: input.version, chart_digest: input.chart_digest }, signal);
    let dryRun;
    let localTemplates: TemplateSource[] = [];
    try {
      const args = releaseCommandArgs({
        verb: 'upgrade',
        releaseName: input.release_name,
        chart,
        namespace: input.namespace,
        hasValues: input.values !== undefined,
        extraFlags: ['--install', '--dry-run=server', '--output', 'json', ...(input.reuse_values ? ['--reuse-values'] : [])],
      });
      dryRun = await runHelm(deps, { args, stdin: input.values, signal });
      if (dryRun.ok) localTemplates = await templatesOfLocalChart(chart.argument);
      if (dryRun.ok && !exists) crdObjects = (await crdFilesOfLocalChart(chart.argument)).flatMap((file) => manifestObjectsOf(file.text));
    } finally {
      await chart.close();
    }
    if (!dryRun.ok) return { output: dryRun.output };
    let release: { version?: number; manifest?: string; hooks?: Array<{ path?: string; manifest?: string }>; chart?: { templates?: Array<{ name?: string; data?: string }> } };
    try {
      release = JSON.parse(dryRun.stdout) as typeof release;
    } catch {
      return { output: toolError('helm upgrade --dry-run did not return the expected JSON release.', 'run helm_template to render the chart instead.') };
    }
    // the same text `helm get hooks` prints for an installed release, so unchanged hooks diff as unchanged
    const hooks = (release.hooks ?? []).map((hook) => `---\n# Source: ${hook.path ?? ''}\n${hook.manifest ?? ''}\n`).join('');
    proposed = joinManifests(release.manifest ?? '', hooks);
    if (exists && typeof release.version === 'number') liveRevision = release.version - 1;
    label = 'proposed';
    const templates = [...templatesOfRelease(release), ...localTemplates];
    liveUse = findLiveClusterUse(templates);
    generated = findGeneratedValues(templates);
  }
  const manifestDigest = `sha256:${createHash('sha256').update(proposed).digest('hex')}`;
  // The storage Secrets helm will write follow from the release's history (the rollback and the upgrade differ); an
  // unreadable history leaves only what the dry-run said, and helm then fails on its bookkeeping before any object.
  const history = exists ? await readHelmHistory(deps, input.release_name, input.namespace, signal) : [];
  const storage = helmStorageWrites(history ?? (liveRevision ? [{ revision: liveRevision, status: 'deployed' }] : []), input.to_revision !== undefined ? 'rollback' : 'upgrade');
  return { exists, liveManifest, proposed, manifestDigest, storage, label, liveUse, generated, crdObjects };
}

/**
 * Rendered by the cluster's executor as its own identity (issue 73 item 6): both manifests come back with Secret values
 * redacted, the digest is the unredacted manifest's, and the storage plan is the executor's. The chart's own templates
 * (sent as the archive) still say whether it reads the live cluster.
 */
async function renderedByExecutor(input: PreviewInput, deps: ToolDeps, executor: DryRunProxyTarget, signal: AbortSignal | undefined): Promise<Rendered | { output: ToolOutput }> {
  let archive: Buffer | undefined;
  let liveUse: LiveClusterUse = { templates: [] };
  let generated: LiveClusterUse = { templates: [] };
  let crdFiles: TemplateSource[] = [];
  if (input.to_revision === undefined) {
    const chart = await prepareChart(deps, { chart: input.chart!, version: input.version, chart_digest: input.chart_digest }, signal);
    try {
      const packed = await chartArchive(deps, chart, signal);
      if (!packed.ok) return { output: packed.output };
      archive = packed.archive;
    } finally {
      await chart.close();
    }
    const templates = templatesOfArchive(archive);
    liveUse = findLiveClusterUse(templates);
    generated = findGeneratedValues(templates);
    crdFiles = crdFilesOfArchive(archive);
  }
  const answer = await renderByExecutor(executor, { release: input.release_name, namespace: input.namespace, ...(archive ? { chart: archive } : {}), values: input.values, reuse_values: input.reuse_values, to_revision: input.to_revision }, signal);
  if (!answer.ok) return { output: answer.output };
  const { render } = answer;
  if (render.manifest === undefined || !render.manifestDigest || !render.storage) return { output: toolError("The cluster's executor answered the Helm render without a manifest, digest or storage plan.", 'check that the executor runs the same Skyflo version as this server.') };
  return {
    exists: render.exists,
    liveManifest: render.liveManifest,
    proposed: render.manifest,
    manifestDigest: render.manifestDigest,
    storage: render.storage,
    label: input.to_revision !== undefined ? `revision ${input.to_revision}` : 'proposed',
    liveUse,
    generated,
    crdObjects: render.exists ? [] : crdFiles.flatMap((file) => manifestObjectsOf(file.text)),
  };
}

function listTemplates(use: LiveClusterUse): string {
  const listed = use.templates.slice(0, 5).map((template) => `${template.name} (${template.uses.join(', ')})`);
  return `${listed.join(', ')}${use.templates.length > 5 ? ` and ${use.templates.length - 5} more` : ''}`;
}

/**
 * GENERATED_VALUES: the manifest differs on every render, so the approval (bound to its digest) is refused at
 * execution; said before anyone approves, with what to do about it.
 */
function generatedValuesRisk(use: LiveClusterUse): RiskFlag[] {
  if (use.templates.length === 0) return [];
  return [
    {
      code: 'GENERATED_VALUES',
      severity: 'medium',
      message: `The chart's templates generate new values on every render: ${listTemplates(use)}. If they end up in the manifest, the re-check before the install sees a different manifest and refuses it (TARGET_CHANGED); set those values explicitly to install through an approval.`,
    },
  ];
}

/** LIVE_CLUSTER_TEMPLATE: what the chart renders depends on the cluster at the moment helm runs. */
function liveClusterRisk(use: LiveClusterUse): RiskFlag[] {
  if (use.templates.length === 0) return [];
  return [
    {
      code: 'LIVE_CLUSTER_TEMPLATE',
      severity: 'medium',
      message: `The chart's templates read the live cluster: ${listTemplates(use)}. What they render depends on the cluster when helm runs; this preview rendered them against the cluster as it is now, and the install is refused if the rendered manifest differs by then.`,
    },
  ];
}

function summarizeDiff(diff: string): string {
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) added += 1;
    else if (line.startsWith('-') && !line.startsWith('---')) removed += 1;
  }
  return `Manifest diff: ${added} line(s) added, ${removed} line(s) removed.`;
}

/** The documents of `proposed` that are new or differ from `live`, as one YAML stream (for the risk rules). */
function changedDocuments(live: string, proposed: string): string {
  const keyed = (manifest: string): Map<string, unknown> => {
    const documents = new Map<string, unknown>();
    for (const [index, document] of parseAllDocuments(manifest).entries()) {
      if (document.errors.length > 0) continue;
      const object = document.toJSON() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
      if (!object || typeof object !== 'object') continue;
      documents.set(`${String(object.kind)}/${String(object.metadata?.namespace ?? '')}/${String(object.metadata?.name ?? index)}`, object);
    }
    return documents;
  };
  const before = keyed(live);
  return [...keyed(proposed).entries()]
    .filter(([key, object]) => JSON.stringify(before.get(key)) !== JSON.stringify(object))
    .map(([, object]) => stringify(object))
    .join('---\n');
}

function joinManifests(manifest: string, hooks: string): string {
  if (!hooks.trim()) return manifest;
  return `${manifest.replace(/\n*$/, '\n')}${hooks}`;
}
