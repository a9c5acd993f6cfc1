import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { chartDigestField, chartField, chartVersionField, namespaceField, optionalValuesField, releaseNameField, timeoutSecondsField, waitField } from './helm-inputs.ts';
import { assertSafeName } from '../../exec/flag-guard.ts';
import { prepareChart, releaseCommandArgs, resolveChart, waitFlags } from './release-command.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmUpgrade = defineTool({
  name: 'helm_upgrade',
  title: 'Upgrade Helm Release',
  description:
    'Upgrade a Helm release to a chart (version) and values, installing it if it does not exist. Without values and reuse_values=false the chart defaults apply. The engine shows helm_upgrade_diff before approval.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    chart: chartField,
    namespace: namespaceField,
    install: z.boolean().default(true).describe("Install the release if it doesn't exist (default true)"),
    wait: waitField,
    values: optionalValuesField,
    reuse_values: z.boolean().default(false).describe("Keep the release's current values and merge the given values over them"),
    version: chartVersionField,
    chart_digest: chartDigestField,
    timeout_seconds: timeoutSecondsField,
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  preview: {
    tool: 'helm_upgrade_diff',
    mapArguments: (input) => ({
      release_name: input.release_name,
      chart: input.chart,
      namespace: input.namespace,
      values: input.values,
      reuse_values: input.reuse_values,
      version: input.version,
      chart_digest: input.chart_digest,
    }),
  },
  resolve: (input, deps: ToolDeps, context) => resolveChart(input, deps, context.signal),
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const wait = waitFlags(input.wait, input.timeout_seconds);
    const extraFlags = [...(input.install ? ['--install'] : []), ...(input.reuse_values ? ['--reuse-values'] : []), ...wait.flags];
    const chart = await prepareChart(deps, input, context.signal);
    try {
      const args = releaseCommandArgs({ verb: 'upgrade', releaseName: input.release_name, chart, namespace: input.namespace, hasValues: input.values !== undefined, extraFlags });
      const outcome = await runHelm(deps, { args, stdin: input.values, signal: context.signal, timeoutMs: wait.runnerTimeoutMs });
      if (!outcome.ok) return outcome.output;
      return helmTextOutput(outcome.stdout, deps);
    } finally {
      await chart.close();
    }
  },
});
