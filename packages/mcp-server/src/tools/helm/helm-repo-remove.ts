import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmRepoRemove = defineTool({
  name: 'helm_repo_remove',
  title: 'Remove Helm Repository',
  description: 'Remove an added chart repository by its local name.',
  toolset: 'helm',
  inputSchema: {
    name: z.string().min(1).max(63).describe('Local name of the repository to remove'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('name', input.name);
    const outcome = await runHelm(deps, { args: ['repo', 'remove', input.name], signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});
