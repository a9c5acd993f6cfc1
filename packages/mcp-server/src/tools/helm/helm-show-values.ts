import { assertSafeArgument } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { assertChartReference } from './chart-reference.ts';
import { assertChartSourceAllowed } from './chart-source-policy.ts';
import { chartField, chartVersionField } from './helm-inputs.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmShowValues = defineTool({
  name: 'helm_show_values',
  title: 'Show Helm Chart Default Values',
  description: "Show a chart's default values.yaml, to see which values can be set before installing or upgrading.",
  toolset: 'helm',
  inputSchema: { chart: chartField, version: chartVersionField },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const chart = assertChartReference(input.chart, deps.settings.helmChartDirs);
    if (input.version) assertSafeArgument('version', input.version);
    await assertChartSourceAllowed(chart, deps, context.signal);
    const args = ['show', 'values', chart];
    if (input.version) {
      assertSafeArgument('version', input.version);
      args.push('--version', input.version);
    }
    const outcome = await runHelm(deps, { args, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});
