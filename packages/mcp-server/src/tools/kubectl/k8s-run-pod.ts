import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { assertNoHostEscape, assertSafeArgument, assertSafeName } from '../../exec/flag-guard.ts';
import { clients, namespaceOf } from './kubectl-common.ts';
import { splitCommand } from './split-command.ts';
import { compareQuantities, parseQuantity } from './quantity.ts';
import { textOutputShape } from '../output-shapes.ts';

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const RESOURCE_NAME = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const quantities = z
  .record(z.string(), z.union([z.string(), z.number()]))
  .describe('Resource name → quantity, e.g. {"cpu": "250m", "memory": "128Mi"}');

export const k8sRunPod = defineTool({
  name: 'k8s_run_pod',
  title: 'Run Kubernetes Pod',
  description:
    'Start a single pod from an image (like `kubectl run`), optionally with labels, environment variables, resource requests/limits and a container name. Host namespaces, privileged mode and host paths are refused.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the pod'),
    image: z.string().min(1).describe('Container image, e.g. busybox:1.36'),
    namespace: z.string().optional().default('default').describe('Namespace to run in'),
    command: z.string().optional().describe("Command to run in the pod, e.g. \"sh -c 'sleep 3600'\""),
    container_name: z.string().optional().describe('Name of the container (default: the pod name)'),
    labels: z.record(z.string(), z.string()).optional().describe('Pod labels, e.g. {"app": "debug", "team": "sre"}; replace the default run=<name> label, as kubectl run --labels does'),
    env: z.record(z.string(), z.string()).optional().describe('Environment variables, e.g. {"LOG_LEVEL": "debug"}. Values are stored in the pod spec in clear: do not pass secrets here'),
    resources: z
      .object({ requests: quantities.optional(), limits: quantities.optional() })
      .optional()
      .describe('Resource requests and limits, e.g. {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('name', input.name);
    assertSafeArgument('image', input.image);
    if (input.container_name) assertSafeName('container_name', input.container_name);
    const namespace = namespaceOf(deps, input.namespace);
    const command = input.command ? splitCommand(input.command) : undefined;
    if (command?.some((word) => /^--overrides/.test(word))) {
      // `kubectl run --overrides` is the classic way to smuggle hostPID/privileged into a pod.
      throw new ToolInputError('command may not carry --overrides: pod specs cannot be overridden through this tool.', { hint: 'pass only the program and its arguments', code: 'FORBIDDEN' });
    }
    const labels = input.labels ? checkedLabels(input.labels) : { run: input.name };
    const env = Object.entries(input.env ?? {}).map(([name, value]) => {
      if (!ENV_NAME.test(name)) throw new ToolInputError(`Invalid environment variable name "${name}".`, { hint: 'use letters, digits, "_", "-" and ".", not starting with a digit' });
      return { name, value };
    });
    const resources = input.resources ? checkedResources(input.resources) : undefined;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: input.name, namespace, labels },
      spec: {
        containers: [
          {
            name: input.container_name ?? input.name,
            image: input.image,
            ...(command ? { command } : {}),
            ...(env.length ? { env } : {}),
            ...(resources ? { resources } : {}),
          },
        ],
        restartPolicy: 'Always',
      },
    };
    // Nothing in this tool's schema can ask for host access; checking the spec we built keeps it that way.
    assertNoHostEscape('pod spec', pod.spec);
    await clients(deps).http.json({ method: 'POST', path: `/api/v1/namespaces/${namespace}/pods`, query: { fieldManager: 'skyflo' }, body: pod, signal: context.signal });
    return { text: `pod/${input.name} created` };
  },
});

/** Label keys and values as the API server validates them, checked here so the error says which one. */
function checkedLabels(labels: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
    if (!LABEL_NAME.test(name) || (prefix !== undefined && (prefix.length > 253 || !LABEL_PREFIX.test(prefix)))) {
      throw new ToolInputError(`Invalid label key "${key}".`, { hint: 'use an optional DNS prefix and "/" then up to 63 letters, digits, "-", "_" or ".", e.g. "app" or "example.com/team"' });
    }
    if (value !== '' && !LABEL_NAME.test(value)) throw new ToolInputError(`Invalid value "${value}" for label "${key}".`, { hint: 'label values are up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit' });
  }
  return labels;
}

/** Parses every quantity and checks that no request exceeds its limit (the API server would refuse it). */
function checkedResources(resources: { requests?: Record<string, string | number>; limits?: Record<string, string | number> }): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const kind of ['requests', 'limits'] as const) {
    const list = resources[kind];
    if (!list || Object.keys(list).length === 0) continue;
    result[kind] = {};
    for (const [name, value] of Object.entries(list)) {
      if (!RESOURCE_NAME.test(name)) throw new ToolInputError(`Invalid resource name "${name}" in ${kind}.`, { hint: 'use cpu, memory, ephemeral-storage or an extended resource such as nvidia.com/gpu' });
      const quantity = parseQuantity(value);
      if (!quantity || quantity.mantissa < 0n) throw new ToolInputError(`Invalid quantity "${value}" for ${kind}.${name}.`, { hint: 'use a Kubernetes quantity such as 250m or 0.5 (cpu) or 128Mi or 1Gi (memory)' });
      result[kind][name] = String(value);
    }
  }
  for (const [name, request] of Object.entries(result.requests ?? {})) {
    const limit = result.limits?.[name];
    if (limit !== undefined && compareQuantities(parseQuantity(request)!, parseQuantity(limit)!) > 0) {
      throw new ToolInputError(`The ${name} request (${request}) is above its limit (${limit}).`, { hint: 'raise the limit or lower the request; a request must not exceed its limit' });
    }
  }
  return result;
}
