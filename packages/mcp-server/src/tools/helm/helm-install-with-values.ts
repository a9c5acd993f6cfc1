import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { chartDigestField, chartField, chartVersionField, namespaceField, releaseNameField, timeoutSecondsField, valuesField, waitField } from './helm-inputs.ts';
import { installRelease, resolveChart } from './release-command.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmInstallWithValues = defineTool({
  name: 'helm_install_with_values',
  title: 'Install Helm Chart with Custom Values',
  description: 'Install a chart as a new Helm release with custom values given as YAML.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    chart: chartField,
    values: valuesField,
    namespace: namespaceField,
    create_namespace: z.boolean().default(true).describe("Create the namespace if it doesn't exist (default true)"),
    wait: waitField,
    version: chartVersionField,
    chart_digest: chartDigestField,
    timeout_seconds: timeoutSecondsField,
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  preview: {
    tool: 'helm_upgrade_diff',
    mapArguments: (input) => ({ release_name: input.release_name, chart: input.chart, namespace: input.namespace, values: input.values, version: input.version, chart_digest: input.chart_digest }),
  },
  resolve: (input, deps: ToolDeps, context) => resolveChart(input, deps, context.signal),
  handler: async (input, deps: ToolDeps, context) => installRelease(input, deps, context.signal),
});
