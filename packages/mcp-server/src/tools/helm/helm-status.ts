import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { namespaceField, releaseNameField } from './helm-inputs.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmStatus = defineTool({
  name: 'helm_status',
  title: 'Get Helm Release Status',
  description: 'Show the status of a Helm release: last deployment time, revision, status and the chart notes.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    namespace: namespaceField,
    output: z.enum(['table', 'json', 'yaml']).optional().describe('Output format: table (default), json or yaml'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const args = ['status', input.release_name, '--namespace', input.namespace];
    if (input.output) args.push('--output', input.output);
    const outcome = await runHelm(deps, { args, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});
