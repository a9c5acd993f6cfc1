import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { setUnschedulable } from './nodes.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sUncordon = defineTool({
  name: 'k8s_uncordon',
  title: 'Uncordon Kubernetes Node',
  description: 'Mark a node schedulable again so new pods can land on it.',
  toolset: 'k8s',
  inputSchema: { node_name: z.string().min(1).describe('Name of the node') },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    return { text: await setUnschedulable(deps, input.node_name, false, context.signal) };
  },
});
