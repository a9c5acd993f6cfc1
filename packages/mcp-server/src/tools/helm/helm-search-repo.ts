import { z } from 'zod';
import { assertSafeArgument } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmSearchRepo = defineTool({
  name: 'helm_search_repo',
  title: 'Search Helm Repositories',
  description: 'Search the added chart repositories for charts whose name or description matches a keyword (uses the local index; run helm_repo_update first for fresh results).',
  toolset: 'helm',
  inputSchema: {
    keyword: z.string().min(1).max(200).describe('Keyword or "repo/chart" prefix to search for'),
    version: z.string().min(1).max(64).optional().describe('Only show chart versions matching this constraint'),
    max_col_width: z.number().int().min(10).max(500).default(50).describe('Maximum column width of the result table (default 50)'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeArgument('keyword', input.keyword);
    const args = ['search', 'repo', input.keyword, '--max-col-width', String(input.max_col_width)];
    if (input.version) {
      assertSafeArgument('version', input.version);
      args.push('--version', input.version);
    }
    const outcome = await runHelm(deps, { args, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    if (/No results found/i.test(outcome.stdout)) {
      return { text: `No charts match "${input.keyword}" in the added repositories. Try a shorter keyword, or helm_repo_update to refresh the indexes.` };
    }
    return helmTextOutput(outcome.stdout, deps);
  },
});
