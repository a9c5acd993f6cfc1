import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { namespaceField, releaseNameField } from './helm-inputs.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmHistory = defineTool({
  name: 'helm_history',
  title: 'Get Helm Release History',
  description: 'List the revisions of a Helm release (revision, updated, status, chart, app version, description); use it to pick a revision for helm_rollback.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    namespace: namespaceField,
    max_revisions: z.number().int().min(1).max(256).default(10).describe('Maximum number of revisions to show, newest last (default 10)'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const args = ['history', input.release_name, '--namespace', input.namespace, '--max', String(input.max_revisions)];
    const outcome = await runHelm(deps, { args, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});
