import { z } from 'zod';
import { defineTool } from '../tool-definition.ts';
import type { ToolDeps } from '../deps.ts';
import { assertSafeName, namespaceOf, runKubectl } from './kubectl-common.ts';
import { splitCommand } from './split-command.ts';

export const k8sExec = defineTool({
  name: 'k8s_exec',
  title: 'Execute Command in Kubernetes Pod',
  description: 'Run a command inside a pod container and return its output (like `kubectl exec -- cmd`). The command is split like a shell would, but no shell runs it unless you call one.',
  toolset: 'k8s',
  inputSchema: {
    pod_name: z.string().min(1).describe('Name of the pod'),
    command: z.string().min(1).describe("Command to run, e.g. \"cat /etc/os-release\" or \"sh -c 'env | sort'\""),
    namespace: z.string().optional().default('default').describe('Namespace of the pod'),
    container_name: z.string().optional().describe('Container to exec into. Required for multi-container pods.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('pod_name', input.pod_name);
    if (input.container_name) assertSafeName('container_name', input.container_name);
    const namespace = namespaceOf(deps, input.namespace);
    const command = splitCommand(input.command);
    // Everything after `--` goes to the container, never to kubectl, so command words can't be flags.
    const args = ['exec', input.pod_name, '--namespace', namespace, ...(input.container_name ? ['--container', input.container_name] : []), '--', ...command];
    const output = await runKubectl(deps, args, { signal: context.signal, action: `exec in pod ${input.pod_name}`, timeoutMs: 60_000 });
    return { text: output.replace(/\n$/, '') || '(the command printed nothing)' };
  },
});
