import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmRepoUpdate = defineTool({
  name: 'helm_repo_update',
  title: 'Update Helm Repositories',
  description: 'Download fresh chart indexes from the added repositories (all of them, or the ones named).',
  toolset: 'helm',
  inputSchema: {
    names: z.array(z.string().min(1).max(63)).max(50).optional().describe('Repository names to update (default: all added repositories)'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const names = input.names ?? [];
    names.forEach((name, index) => assertSafeName(`names[${index}]`, name));
    const outcome = await runHelm(deps, { args: ['repo', 'update', ...names], signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});
