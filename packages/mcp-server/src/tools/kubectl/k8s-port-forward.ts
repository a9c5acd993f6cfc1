import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError, toolError } from '../../contract/errors.ts';
import type { PortPair } from '../../port-forward/create-port-forwards.ts';
import { assertSafeName, clients, namespaceOf } from './kubectl-common.ts';
import { withTextOutput } from '../output-shapes.ts';
import { kubeEnv } from '../../kube/impersonation.ts';

export const DEFAULT_TTL_MINUTES = 10;
export const MAX_TTL_MINUTES = 60;

/** "8080:80", "8080" (same port both sides) or ":80" (kubectl picks a free local port). */
export function parsePortPairs(ports: string): PortPair[] {
  return ports.trim().split(/\s+/).map((pair) => {
    const match = /^(\d{1,5})?(:(\d{1,5}))?$/.exec(pair);
    const local = match?.[1] === undefined ? undefined : Number(match[1]);
    const remote = match?.[3] !== undefined ? Number(match[3]) : local;
    const valid = (port: number | undefined) => port === undefined || (port >= 1 && port <= 65_535);
    if (!match || remote === undefined || !valid(local) || !valid(remote)) {
      throw new ToolInputError(`Invalid ports "${pair}".`, { hint: "use 'local_port:remote_port' (e.g. '8080:80'), or ':80' to let kubectl choose the local port" });
    }
    return local === undefined ? { remote } : { local, remote };
  });
}

export const k8sPortForward = defineTool({
  name: 'k8s_port_forward',
  title: 'Port Forward to Kubernetes Resource',
  description:
    `Start a port forward (kubectl port-forward) from 127.0.0.1 on the MCP server's machine to a pod, service or deployment. It stays open for ttl_minutes (default ${DEFAULT_TTL_MINUTES}, at most ${MAX_TTL_MINUTES}) and is then closed; it is reachable only from that machine.`,
  toolset: 'k8s',
  inputSchema: {
    resource_name: z.string().min(1).describe('Name of the pod, service or deployment'),
    ports: z.string().min(1).describe("Format: 'local_port:remote_port' (several separated by spaces); ':remote_port' lets kubectl choose a free local port"),
    namespace: z.string().optional().default('default').describe('Namespace of the resource'),
    resource_type: z.enum(['pod', 'service', 'deployment']).optional().default('pod').describe("'pod', 'service', 'deployment'"),
    ttl_minutes: z.number().int().min(1).max(MAX_TTL_MINUTES).optional().default(DEFAULT_TTL_MINUTES).describe(`Minutes until the forward is closed (default ${DEFAULT_TTL_MINUTES}, max ${MAX_TTL_MINUTES})`),
  },
  outputSchema: withTextOutput({ forward_id: z.number().int().optional().describe('Id of the forward (number)'), local_addresses: z.array(z.string()).optional().describe('Addresses on the MCP server machine, 127.0.0.1:<port>'), expires_at: z.string().optional().describe('When the forward closes (ISO 8601)') }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('resource_name', input.resource_name);
    const namespace = namespaceOf(deps, input.namespace);
    const ports = parsePortPairs(input.ports);
    const plural = { pod: 'pods', service: 'services', deployment: 'deployments' }[input.resource_type];
    const group = input.resource_type === 'deployment' ? '/apis/apps/v1' : '/api/v1';
    // A read first gives a clear NOT_FOUND/FORBIDDEN instead of kubectl's stderr.
    await clients(deps).http.json({ path: `${group}/namespaces/${namespace}/${plural}/${input.resource_name}`, signal: context.signal });
    if (!deps.portForwards) {
      return toolError('This MCP server was started without a port-forward registry, so it cannot hold a forward open.', 'run the server with `skyflo mcp` or embedded in the engine', 'UNSUPPORTED');
    }
    const target = `${input.resource_type}/${input.resource_name}`;
    const forward = await deps.portForwards.start({
      kubectlPath: deps.settings.kubectlPath,
      kubeconfigPath: deps.settings.kubeconfigPath,
      ...(deps.settings.kubeContext ? { kubeContext: deps.settings.kubeContext } : {}),
      ...(deps.settings.kubeContext && deps.settings.kubeServer ? { kubeServer: deps.settings.kubeServer } : {}),
      ...(kubeEnv(deps) ? { env: kubeEnv(deps) } : {}),
      ...(deps.settings.impersonation ? { impersonation: deps.settings.impersonation } : {}),
      target,
      namespace,
      ports,
      ttlMs: input.ttl_minutes * 60_000,
      signal: context.signal,
    });
    const addresses = forward.forwarding.map((pair) => `127.0.0.1:${pair.local} -> ${target}:${pair.remote}`);
    return {
      text: [
        `Forwarding (namespace ${namespace}):`,
        ...addresses.map((line) => `  ${line}`),
        `Open until ${forward.expiresAt.toISOString()} (${input.ttl_minutes} min), then closed. Reachable only from the MCP server's machine.`,
      ].join('\n'),
      structured: {
        forward_id: forward.id,
        local_addresses: forward.forwarding.map((pair) => `127.0.0.1:${pair.local}`),
        expires_at: forward.expiresAt.toISOString(),
      },
    };
  },
});
