import { z } from 'zod';
import { assertSafeArgument, assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { assertChartReference } from './chart-reference.ts';
import { assertChartSourceAllowed } from './chart-source-policy.ts';
import { chartField, chartVersionField, optionalValuesField, releaseNameField } from './helm-inputs.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmTemplate = defineTool({
  name: 'helm_template',
  title: 'Render Helm Template',
  description: 'Render a chart locally with optional values, without installing anything, to preview the manifests it would create. Secrets are redacted.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    chart: chartField,
    namespace: z.string().min(1).max(63).optional().describe('Namespace to render the manifests for'),
    values: optionalValuesField,
    include_crds: z.boolean().default(false).describe('Include the chart CRDs in the output'),
    version: chartVersionField,
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    const chart = assertChartReference(input.chart, deps.settings.helmChartDirs);
    if (input.version) assertSafeArgument('version', input.version);
    await assertChartSourceAllowed(chart, deps, context.signal);
    const args = ['template', input.release_name, chart];
    if (input.namespace) {
      assertSafeName('namespace', input.namespace);
      args.push('--namespace', input.namespace);
    }
    if (input.include_crds) args.push('--include-crds');
    if (input.version) {
      assertSafeArgument('version', input.version);
      args.push('--version', input.version);
    }
    if (input.values !== undefined) args.push('--values', '-');
    const outcome = await runHelm(deps, { args, stdin: input.values, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps, { hint: 'render fewer objects with --show-only via a narrower chart, or read one object' });
  },
});
