import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { namespaceField, releaseNameField } from './helm-inputs.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { readHelmHistory } from './helm-storage-writes.ts';
import { textOutputShape } from '../output-shapes.ts';
import { manifestObjectsOf } from './manifest-objects.ts';
import { renderByExecutor } from './executor-render.ts';
import { dryRunProxyFor } from '../../kube/dry-run-proxy.ts';
import type { HelmRevision } from '@skyflo/protocol';

export const helmUninstall = defineTool({
  name: 'helm_uninstall',
  title: 'Uninstall Helm Release',
  description: 'Uninstall a Helm release and delete the Kubernetes resources it created.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    namespace: namespaceField,
    keep_history: z.boolean().default(false).describe('Keep the release history so it can be rolled back later'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  // What the uninstall deletes: every object of the release's manifest and hooks, so the engine judges the caller's
  // scope on each one (a release may hold objects outside its own namespace) and the approver sees them listed.
  describeCall: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    // issue 73 item 6: on a cluster that enforces approvals the executor reads the release (its storage Secrets) as
    // its own identity and answers it with Secret values redacted; this server's identity may not read them there
    const executor = dryRunProxyFor(deps.kubeConfig);
    let liveManifest: string;
    let history: HelmRevision[];
    if (executor) {
      const answer = await renderByExecutor(executor, { release: input.release_name, namespace: input.namespace }, context.signal);
      if (!answer.ok) throw new ToolInputError(`Could not read release ${input.namespace}/${input.release_name}: ${answer.output.text.split('\n')[0]}`);
      if (!answer.render.exists) throw new ToolInputError(`Could not read release ${input.namespace}/${input.release_name}: it does not exist`, { code: 'NOT_FOUND', hint: 'list releases with helm_list_releases' });
      liveManifest = answer.render.liveManifest;
      history = answer.render.history;
    } else {
      const manifest = await runHelm(deps, { args: ['get', 'manifest', input.release_name, '--namespace', input.namespace], signal: context.signal });
      if (!manifest.ok) throw new ToolInputError(`Could not read release ${input.namespace}/${input.release_name}: ${manifest.output.text.split('\n')[0]}`, { code: 'NOT_FOUND', hint: 'list releases with helm_list_releases' });
      const hooks = await runHelm(deps, { args: ['get', 'hooks', input.release_name, '--namespace', input.namespace], signal: context.signal });
      if (!hooks.ok) throw new ToolInputError(`Could not read the hooks of release ${input.namespace}/${input.release_name}: ${hooks.output.text.split('\n')[0]}`);
      liveManifest = `${manifest.stdout.replace(/\n*$/, '\n')}${hooks.stdout}`;
      history = context.trustedCaller ? ((await readHelmHistory(deps, input.release_name, input.namespace, context.signal)) ?? []) : [];
    }
    const objects = manifestObjectsOf(liveManifest).map((object) => ({ ...object, removed: true }));
    const listed = objects.map((object) => `- ${object.kind ?? 'unreadable document'} ${object.namespace ? `${object.namespace}/` : ''}${object.name ?? ''}`.trimEnd());
    const text = `Uninstalls release ${input.namespace}/${input.release_name}${input.keep_history ? ' (history kept)' : ''}, deleting ${objects.length} object(s) (objects without a namespace are in ${input.namespace} unless cluster-scoped):\n${listed.join('\n')}`;
    // issue 73: what the cluster's executor binds the uninstall to (the engine's own connection only): the release's
    // objects and its storage — the latest revision is marked uninstalling, then every revision deleted (unless kept)
    const revisions = history.map((entry) => entry.revision).sort((a, b) => a - b);
    const bound = context.trustedCaller ? { live_manifest: liveManifest, helm_storage: { update: revisions.slice(-1), delete: input.keep_history ? [] : revisions } } : undefined;
    return { text, diff: '', changed: true, objects, ...(bound ? { bound } : {}) };
  },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const args = ['uninstall', input.release_name, '--namespace', input.namespace];
    if (input.keep_history) args.push('--keep-history');
    const outcome = await runHelm(deps, { args, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});
