import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { namespaceField, releaseNameField } from './helm-inputs.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmGetValues = defineTool({
  name: 'helm_get_values',
  title: 'Get Helm Release Values',
  description: 'Show the values a Helm release was installed or upgraded with. Values that look like passwords, tokens or keys are redacted.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    namespace: namespaceField,
    output: z.enum(['yaml', 'json', 'table']).default('yaml').describe('Output format (default yaml)'),
    all_values: z.boolean().default(false).describe('Include the chart defaults merged with the user-supplied values'),
    revision: z.number().int().min(1).optional().describe('Revision to read (default: the current revision)'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const args = ['get', 'values', input.release_name, '--namespace', input.namespace, '--output', input.output];
    if (input.all_values) args.push('--all');
    if (input.revision !== undefined) args.push('--revision', String(input.revision));
    const outcome = await runHelm(deps, { args, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});
