import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../deps.ts';
import { defineTool } from '../tool-definition.ts';
import { namespaceField, releaseNameField, timeoutSecondsField, waitField } from './helm-inputs.ts';
import { waitFlags } from './release-command.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';

export const helmRollback = defineTool({
  name: 'helm_rollback',
  title: 'Rollback Helm Release',
  description: 'Roll a Helm release back to an earlier revision (see helm_history). This creates a new revision with the old manifests.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    revision: z.number().int().min(1).describe('Revision number to roll back to'),
    namespace: namespaceField,
    wait: waitField,
    timeout_seconds: timeoutSecondsField,
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  preview: {
    tool: 'helm_upgrade_diff',
    mapArguments: (input) => ({ release_name: input.release_name, namespace: input.namespace, to_revision: input.revision }),
  },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const wait = waitFlags(input.wait, input.timeout_seconds);
    const args = ['rollback', input.release_name, String(input.revision), '--namespace', input.namespace, ...wait.flags];
    const outcome = await runHelm(deps, { args, signal: context.signal, timeoutMs: wait.runnerTimeoutMs });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});
