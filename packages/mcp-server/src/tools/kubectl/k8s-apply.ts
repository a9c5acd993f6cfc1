import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { applyManifest } from './mutations.ts';
import { renderDiff } from './k8s-diff.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sApply = defineTool({
  name: 'k8s_apply',
  title: 'Apply Kubernetes Manifest',
  description: 'Create or update resources from a YAML manifest (server-side apply, like `kubectl apply --server-side --force-conflicts`). Preview with k8s_diff operation=apply.',
  toolset: 'k8s',
  inputSchema: {
    content: z.string().min(1).describe('YAML manifest (one or more documents separated by ---)'),
    namespace: z.string().optional().describe('Namespace for documents that do not set one (default "default")'),
    dry_run: z.boolean().optional().default(false).describe('Server-side dry run: validate and show the diff without changing anything'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  preview: { tool: 'k8s_diff', mapArguments: (input) => ({ operation: 'apply', content: input.content, namespace: input.namespace }) },
  async handler(input, deps: ToolDeps, context) {
    const result = await applyManifest(deps, { content: input.content, namespace: input.namespace }, { dryRun: input.dry_run, signal: context.signal });
    return { text: input.dry_run ? `${result.summary}\n\n${renderDiff(result) || 'No changes.'}` : result.summary };
  },
});
