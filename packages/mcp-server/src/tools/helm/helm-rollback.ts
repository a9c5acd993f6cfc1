import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { namespaceField, releaseNameField, timeoutSecondsField, waitField } from './helm-inputs.ts';
import { waitFlags } from './release-command.ts';
import { releaseByExecutor } from './executor-render.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

interface HistoryEntry {
  revision: number;
  status?: string;
  chart?: string;
  app_version?: string;
}

export const helmRollback = defineTool({
  name: 'helm_rollback',
  title: 'Rollback Helm Release',
  description: 'Roll a Helm release back to an earlier revision (see helm_history); without revision (or 0), to the previous one. This creates a new revision with the old manifests.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    revision: z.number().int().min(0).optional().describe('Revision number to roll back to; omit (or 0) for the previous revision, which is resolved to its number before approval'),
    namespace: namespaceField,
    wait: waitField,
    timeout_seconds: timeoutSecondsField,
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  preview: {
    tool: 'helm_upgrade_diff',
    mapArguments: (input) => ({ release_name: input.release_name, namespace: input.namespace, to_revision: input.revision }),
  },
  // "The previous revision" is whatever is one before the latest when the call runs; approving it must mean a number.
  resolve: async (input, deps: ToolDeps, context) => {
    if (input.revision !== undefined && input.revision > 0) return { set: {}, notes: [] };
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const entries = (await historyOf(input.release_name, input.namespace, deps, context.signal)).sort((a, b) => a.revision - b.revision);
    const latest = entries.at(-1);
    // helm rollback's own rule for revision 0: the latest revision minus one.
    const previous = latest ? entries.find((entry) => entry.revision === latest.revision - 1) : undefined;
    if (!latest || !previous) {
      throw new ToolInputError(`Release ${input.namespace}/${input.release_name} has no previous revision to roll back to (revisions: ${entries.map((entry) => entry.revision).join(', ') || 'none'}).`, {
        code: 'NOT_FOUND',
        hint: 'see helm_history',
      });
    }
    return {
      set: { revision: previous.revision },
      notes: [`revision: previous → ${previous.revision} (${previous.chart ?? 'chart'}${previous.app_version ? `, app ${previous.app_version}` : ''}; now at ${latest.revision})`],
    };
  },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const wait = waitFlags(input.wait, input.timeout_seconds);
    const args = ['rollback', input.release_name, ...(input.revision ? [String(input.revision)] : []), '--namespace', input.namespace, ...wait.flags];
    const outcome = await runHelm(deps, { args, signal: context.signal, timeoutMs: wait.runnerTimeoutMs });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});

/** The release's history: read by the cluster's executor where approvals are enforced (issue 73 item 6), else by helm here. */
async function historyOf(release: string, namespace: string, deps: ToolDeps, signal?: AbortSignal): Promise<HistoryEntry[]> {
  const notRead = (why: string) => new ToolInputError(`Could not read the history of release ${namespace}/${release}: ${why}`, { code: 'NOT_FOUND', hint: 'list releases with helm_list_releases' });
  const byExecutor = await releaseByExecutor(deps, release, namespace, signal).catch((error: Error) => Promise.reject(notRead(error.message)));
  if (byExecutor) {
    if (!byExecutor.exists) throw notRead('release: not found');
    return byExecutor.history;
  }
  const history = await runHelm(deps, { args: ['history', release, '--namespace', namespace, '--max', '256', '--output', 'json'], signal });
  if (!history.ok) throw notRead(history.output.text.split('\n')[0] ?? '');
  return JSON.parse(history.stdout || '[]') as HistoryEntry[];
}
