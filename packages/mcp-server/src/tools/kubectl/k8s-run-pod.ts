import { z } from 'zod';
import { defineTool } from '../tool-definition.ts';
import type { ToolDeps } from '../deps.ts';
import { ToolInputError } from '../../errors.ts';
import { assertNoHostEscape, assertSafeArgument, assertSafeName } from '../../exec/flag-guard.ts';
import { clients, namespaceOf } from './kubectl-common.ts';
import { splitCommand } from './split-command.ts';

export const k8sRunPod = defineTool({
  name: 'k8s_run_pod',
  title: 'Run Kubernetes Pod',
  description: 'Start a single pod from an image (like `kubectl run`). Host namespaces, privileged mode and host paths are refused.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the pod'),
    image: z.string().min(1).describe('Container image, e.g. busybox:1.36'),
    namespace: z.string().optional().default('default').describe('Namespace to run in'),
    command: z.string().optional().describe("Command to run in the pod, e.g. \"sh -c 'sleep 3600'\""),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('name', input.name);
    assertSafeArgument('image', input.image);
    const namespace = namespaceOf(deps, input.namespace);
    const command = input.command ? splitCommand(input.command) : undefined;
    if (command?.some((word) => /^--overrides/.test(word))) {
      // `kubectl run --overrides` is the classic way to smuggle hostPID/privileged into a pod.
      throw new ToolInputError('command may not carry --overrides: pod specs cannot be overridden through this tool.', { hint: 'pass only the program and its arguments', code: 'FORBIDDEN' });
    }
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: input.name, namespace, labels: { run: input.name } },
      spec: { containers: [{ name: input.name, image: input.image, ...(command ? { command } : {}) }], restartPolicy: 'Always' },
    };
    assertNoHostEscape('pod spec', pod);
    await clients(deps).http.json({ method: 'POST', path: `/api/v1/namespaces/${namespace}/pods`, query: { fieldManager: 'skyflo' }, body: pod, signal: context.signal });
    return { text: `pod/${input.name} created` };
  },
});
