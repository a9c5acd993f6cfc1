import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import { toolError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmListReleases = defineTool({
  name: 'helm_list_releases',
  title: 'List Helm Releases',
  description: 'List Helm releases in a namespace or in all namespaces, with chart, app version, revision and status.',
  toolset: 'helm',
  inputSchema: {
    namespace: z.string().min(1).max(63).optional().describe('Namespace to list releases from (omit for the default namespace of the kubeconfig)'),
    all_namespaces: z.boolean().default(false).describe('List releases from all namespaces (cannot be combined with namespace)'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    if (input.namespace && input.all_namespaces) return toolError('namespace and all_namespaces cannot be used together.', 'give one of them.');
    // --all lists failed and pending releases too: those are the ones an operator is usually asking about
    const args = ['list', '--all', '--max', '256'];
    if (input.all_namespaces) args.push('--all-namespaces');
    else if (input.namespace) {
      assertSafeName('namespace', input.namespace);
      args.push('--namespace', input.namespace);
    }
    const outcome = await runHelm(deps, { args, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    const lines = outcome.stdout.trim().split('\n');
    if (lines.length <= 1) return { text: `No Helm releases found${input.all_namespaces ? ' in any namespace' : input.namespace ? ` in namespace ${input.namespace}` : ''}.` };
    return helmTextOutput(outcome.stdout, deps, { hint: 'pass namespace to narrow the list' });
  },
});
