import { z } from 'zod';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { namespaceField, releaseNameField } from './helm-inputs.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmGetManifest = defineTool({
  name: 'helm_get_manifest',
  title: 'Get Helm Release Manifest',
  description: 'Show the Kubernetes manifests a Helm release rendered. Secret data and credential-like values are redacted; long manifests are cut with a note.',
  toolset: 'helm',
  inputSchema: {
    release_name: releaseNameField,
    namespace: namespaceField,
    revision: z.number().int().min(1).optional().describe('Revision to read (default: the current revision)'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('release_name', input.release_name);
    assertSafeName('namespace', input.namespace);
    const args = ['get', 'manifest', input.release_name, '--namespace', input.namespace];
    if (input.revision !== undefined) args.push('--revision', String(input.revision));
    const outcome = await runHelm(deps, { args, signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps, { hint: 'read one object with k8s_get instead of the whole manifest' });
  },
});
