import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { setImage } from './mutations.ts';
import { renderDiff } from './k8s-diff.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sSetImage = defineTool({
  name: 'k8s_set_image',
  title: 'Update Kubernetes Container Images',
  description: "Change container images of a workload (like `kubectl set image`), which starts a rollout. Preview with k8s_diff operation=set_image.",
  toolset: 'k8s',
  inputSchema: {
    resource_name: z.string().min(1).describe('Name of the resource to update'),
    resource_type: z.string().min(1).describe('deployment, statefulset, daemonset, cronjob, job or pod'),
    container_images: z.string().min(1).describe("Format: 'container1=image1,container2=image2' ('*=image' for all containers)"),
    namespace: z.string().optional().describe('Namespace of the resource (default "default")'),
    dry_run: z.boolean().optional().default(false).describe('Server-side dry run: show the diff without changing anything'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  preview: { tool: 'k8s_diff', mapArguments: (input) => ({ operation: 'set_image', name: input.resource_name, resource_type: input.resource_type, container_images: input.container_images, namespace: input.namespace }) },
  async handler(input, deps: ToolDeps, context) {
    const result = await setImage(deps, input, { dryRun: input.dry_run, signal: context.signal });
    return { text: input.dry_run ? `${result.summary}\n\n${renderDiff(result) || 'No changes.'}` : result.summary };
  },
});
