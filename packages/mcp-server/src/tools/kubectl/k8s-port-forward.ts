import { z } from 'zod';
import { defineTool } from '../tool-definition.ts';
import type { ToolDeps } from '../deps.ts';
import { ToolInputError } from '../../errors.ts';
import { assertSafeName, clients, namespaceOf } from './kubectl-common.ts';

export const k8sPortForward = defineTool({
  name: 'k8s_port_forward',
  title: 'Port Forward to Kubernetes Resource',
  description:
    'Check a port-forward target and return the exact command to run it. A forward is a long-lived local tunnel, which a one-shot tool call cannot hold open for you, so this tool does not start one.',
  toolset: 'k8s',
  inputSchema: {
    resource_name: z.string().min(1).describe('Name of the pod, service or deployment'),
    ports: z.string().min(1).describe("Format: 'local_port:remote_port' (several separated by spaces)"),
    namespace: z.string().optional().default('default').describe('Namespace of the resource'),
    resource_type: z.enum(['pod', 'service', 'deployment']).optional().default('pod').describe("'pod', 'service', 'deployment'"),
  },
  annotations: { readOnlyHint: false, destructiveHint: false },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('resource_name', input.resource_name);
    const namespace = namespaceOf(deps, input.namespace);
    const pairs = input.ports.trim().split(/\s+/);
    for (const pair of pairs) {
      const match = /^(\d{1,5})?:?(\d{1,5})$/.exec(pair);
      if (!match || [match[1], match[2]].some((port) => port !== undefined && (Number(port) < 1 || Number(port) > 65_535))) {
        throw new ToolInputError(`Invalid ports "${pair}".`, { hint: "use 'local_port:remote_port', e.g. '8080:80'" });
      }
    }
    const plural = { pod: 'pods', service: 'services', deployment: 'deployments' }[input.resource_type];
    const group = input.resource_type === 'deployment' ? '/apis/apps/v1' : '/api/v1';
    await clients(deps).http.json({ path: `${group}/namespaces/${namespace}/${plural}/${input.resource_name}`, signal: context.signal });
    const target = input.resource_type === 'pod' ? input.resource_name : `${input.resource_type}/${input.resource_name}`;
    return {
      text: [
        `${input.resource_type} "${input.resource_name}" exists in namespace "${namespace}", but no forward was started:`,
        'this MCP server answers one call at a time and cannot keep a tunnel open on your machine.',
        `Run it yourself: kubectl port-forward ${target} ${pairs.join(' ')} --namespace ${namespace}`,
      ].join('\n'),
      isError: true,
      structured: { error: { code: 'UNSUPPORTED' }, command: ['kubectl', 'port-forward', target, ...pairs, '--namespace', namespace] },
    };
  },
});
