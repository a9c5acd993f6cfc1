import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import { applyOutputBudget } from '../../budgets/apply-output-budget.ts';
import { toolError } from '../../errors.ts';
import { assertSafeName } from '../../exec/flag-guard.ts';
import { redactText } from '../../redaction/redact.ts';
import type { ToolDeps } from '../deps.ts';
import { defineTool } from '../tool-definition.ts';
import { chartVersionField, namespaceField, optionalChartField, optionalValuesField, releaseNameField } from './helm-inputs.ts';
import { releaseCommandArgs } from './release-command.ts';
import { runHelm } from './run-helm.ts';

export const helmUpgradeDiff = defineTool({
  name: 'helm_upgrade_diff',
  title: 'Diff Helm Upgrade',
  description:
    'Preview a helm upgrade/install (chart + values) or a rollback (to_revision) as a unified diff between the live release manifest and the manifest it would produce. Changes nothing. Secret values are redacted on both sides.',
  toolset: 'helm',
  tags: ['diff'],
  inputSchema: {
    release_name: releaseNameField,
    namespace: namespaceField,
    chart: optionalChartField,
    values: optionalValuesField,
    reuse_values: z.boolean().default(false).describe("Merge the values over the release's current values, as helm_upgrade reuse_values does"),
    version: chartVersionField,
    to_revision: z.number().int().min(1).optional().describe('Instead of a chart, diff against this earlier revision (the preview of helm_rollback)'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    if (input.to_revision === undefined && input.chart === undefined) {
      return toolError('Give either chart (to preview an upgrade or install) or to_revision (to preview a rollback).');
    }
    const live = await runHelm(deps, { args: ['get', 'manifest', input.release_name, '--namespace', input.namespace], signal: context.signal });
    let liveManifest = '';
    if (live.ok) liveManifest = live.stdout;
    else if (!/not found/i.test(live.stderr ?? '')) return live.output;
    const exists = live.ok;

    let proposed: string;
    let label: string;
    if (input.to_revision !== undefined) {
      if (!exists) return toolError(`Release ${input.release_name} does not exist in namespace ${input.namespace}, so there is nothing to roll back.`, 'list releases with helm_list_releases.');
      const target = await runHelm(deps, {
        args: ['get', 'manifest', input.release_name, '--namespace', input.namespace, '--revision', String(input.to_revision)],
        signal: context.signal,
      });
      if (!target.ok) return target.output;
      proposed = target.stdout;
      label = `revision ${input.to_revision}`;
    } else {
      // --dry-run=server lets templates `lookup` live objects (as a real upgrade would) while still creating nothing
      const args = releaseCommandArgs(
        {
          verb: 'upgrade',
          releaseName: input.release_name,
          chart: input.chart!,
          namespace: input.namespace,
          version: input.version,
          hasValues: input.values !== undefined,
          extraFlags: ['--install', '--dry-run=server', '--output', 'json', ...(input.reuse_values ? ['--reuse-values'] : [])],
        },
        deps,
      );
      const dryRun = await runHelm(deps, { args, stdin: input.values, signal: context.signal });
      if (!dryRun.ok) return dryRun.output;
      let release: { manifest?: string };
      try {
        release = JSON.parse(dryRun.stdout) as { manifest?: string };
      } catch {
        return toolError('helm upgrade --dry-run did not return the expected JSON release.', 'run helm_template to render the chart instead.');
      }
      proposed = release.manifest ?? '';
      label = 'proposed';
    }

    const before = redactText(liveManifest);
    const after = redactText(proposed);
    const current = exists ? 'live' : 'not installed';
    if (before === after) {
      return { text: `No changes: the ${label} manifest of ${input.namespace}/${input.release_name} matches the live release.`, structured: { changed: false, diff: '' } };
    }
    const diff = createTwoFilesPatch(`${input.release_name} (${current})`, `${input.release_name} (${label})`, before, after, undefined, undefined, { context: 3 });
    const summary = summarizeDiff(diff);
    const text = applyOutputBudget(`${summary}\n${diff}`, { budgetBytes: deps.settings.outputBudgetBytes, kind: 'text', hint: 'render single objects with helm_template to inspect the rest' });
    return { text, structured: { changed: true, releaseExists: exists, diff: applyOutputBudget(diff, { budgetBytes: deps.settings.outputBudgetBytes, kind: 'text' }) } };
  },
});

function summarizeDiff(diff: string): string {
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) added += 1;
    else if (line.startsWith('-') && !line.startsWith('---')) removed += 1;
  }
  return `Manifest diff: ${added} line(s) added, ${removed} line(s) removed.`;
}
