import { z } from 'zod';
import { defineTool } from '../tool-definition.ts';
import type { ToolDeps } from '../deps.ts';
import { assertSafeArgument, assertSafeName, namespaceField, namespaceOf, runKubectl } from './kubectl-common.ts';

export const k8sDescribe = defineTool({
  name: 'k8s_describe',
  title: 'Describe Kubernetes Resource',
  description: 'Show `kubectl describe` for a resource: its spec, status, conditions and recent events. Secret values are never shown.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().optional().describe('Name of the object; omit to describe every object of the type in the namespace'),
    resource_type: z.string().min(1).describe('Resource type, e.g. pod, deployment, service, node'),
    namespace: namespaceField,
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    // Why the subprocess: `kubectl describe` output is what operators (and models) know; re-creating
    // its per-kind printers natively would be large and drift. Every value is guarded before argv.
    assertSafeArgument('resource_type', input.resource_type);
    if (input.name) assertSafeName('name', input.name);
    const namespace = namespaceOf(deps, input.namespace);
    const args = ['describe', input.resource_type, ...(input.name ? [input.name] : []), '--namespace', namespace];
    const text = await runKubectl(deps, args, { signal: context.signal, action: `describe ${input.resource_type}${input.name ? ` ${input.name}` : ''}`, timeoutMs: 30_000 });
    return { text: text.trim() || `No ${input.resource_type} found in namespace "${namespace}".` };
  },
});
