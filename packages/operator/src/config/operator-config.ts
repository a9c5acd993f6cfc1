/**
 * The operator's settings, from `skyflo operator` flags and the environment, parsed once with zod. Every problem
 * is reported together, naming the flag or variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/** Where Kubernetes mounts the pod's namespace (in-cluster). */
const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

const configSchema = z.object({
  /** kubeconfig file; unset: in-cluster config, else KUBECONFIG / ~/.kube/config */
  kubeconfig: z.string().min(1).optional(),
  /** watch only this namespace's SkyfloAIs; unset: all namespaces */
  namespace: z.string().min(1).optional(),
  /**
   * who makes the MCP server's RBAC: `operator` (this process creates its ClusterRole, Roles and bindings, so it must
   * hold their rules) or `install` (the chart makes them; the operator checks them and writes no RBAC)
   */
  mcpRbac: z.enum(['operator', 'install'], { error: 'must be operator or install' }),
  /** hold a Lease so that only one of several operator replicas reconciles */
  leaderElect: z.boolean(),
  /** namespace of the Lease (POD_NAMESPACE, the in-cluster namespace, else default) */
  leaderElectionNamespace: z.string().min(1),
  leaseName: z.string().min(1),
  /** this process's name in the Lease (POD_NAME, else the hostname and pid) */
  identity: z.string().min(1),
  leaseDurationSeconds: z.number().int().min(2).max(300),
  retryPeriodMs: z.number().int().min(100).max(60_000),
  /** /healthz and /readyz; 0 picks a free port, unset serves none */
  healthPort: z.number().int().min(0).max(65_535).optional(),
  healthHost: z.string().min(1),
});

export type OperatorConfig = z.infer<typeof configSchema>;

export class OperatorConfigError extends Error {}

export const operatorUsage = `Usage: skyflo operator [options]

Runs the SkyfloAI operator: reconciles skyfloais.skyflo.ai resources into Deployments, Services, RBAC and the rest.

Options:
  --kubeconfig <path>              kubeconfig (default: in-cluster config, else KUBECONFIG or ~/.kube/config)
  --namespace <ns>                 reconcile only this namespace's SkyfloAIs (default: all namespaces)
  --mcp-rbac <operator|install>    SKYFLO_OPERATOR_MCP_RBAC: who makes the MCP server's RBAC: this operator (default;
                                   it must then hold the access profile's rules) or the install (the chart: the operator
                                   only checks it and writes no RBAC; docs/security.md)
  --leader-elect / --no-leader-elect  hold a Lease so one of several replicas works at a time (default: on)
  --leader-election-namespace <ns> namespace of the Lease (default: POD_NAMESPACE or the pod's namespace, else default)
  --lease-name <name>              Lease name (default skyflo-operator)
  --lease-duration <seconds>       how long a silent leader keeps the Lease (default 15)
  --retry-period <ms>              how often the Lease is renewed or tried (default 2000)
  --health-port <n>                serve /healthz and /readyz on this port (default: none; the chart uses 8081)
  --health-host <ip>               interface for the health port (default 0.0.0.0)
  -h, --help                       show this help
`;

export function loadOperatorConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        'mcp-rbac': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'no-leader-elect': { type: 'boolean' },
        'leader-election-namespace': { type: 'string' },
        'lease-name': { type: 'string' },
        'lease-duration': { type: 'string' },
        'retry-period': { type: 'string' },
        'health-port': { type: 'string' },
        'health-host': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new OperatorConfigError((error as Error).message);
  }
  if (values.help) return 'help';
  const inClusterNamespace = existsSync(serviceAccountNamespaceFile) ? readFileSync(serviceAccountNamespaceFile, 'utf8').trim() : undefined;
  const number = (value: unknown) => (value === undefined ? undefined : /^\d+$/.test(String(value)) ? Number(value) : Number.NaN);
  const parsed = configSchema.safeParse({
    kubeconfig: values.kubeconfig,
    namespace: values.namespace,
    mcpRbac: values['mcp-rbac'] ?? env.SKYFLO_OPERATOR_MCP_RBAC ?? 'operator',
    leaderElect: values['no-leader-elect'] ? false : true,
    leaderElectionNamespace: values['leader-election-namespace'] ?? env.POD_NAMESPACE ?? inClusterNamespace ?? 'default',
    leaseName: values['lease-name'] ?? 'skyflo-operator',
    identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
    leaseDurationSeconds: number(values['lease-duration']) ?? 15,
    retryPeriodMs: number(values['retry-period']) ?? 2_000,
    healthPort: number(values['health-port']),
    healthHost: values['health-host'] ?? '0.0.0.0',
  });
  if (!parsed.success) {
    const flags: Record<string, string> = { leaseDurationSeconds: '--lease-duration', retryPeriodMs: '--retry-period', healthPort: '--health-port', mcpRbac: '--mcp-rbac' };
    throw new OperatorConfigError(parsed.error.issues.map((issue) => `${flags[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`).join('\n'));
  }
  return parsed.data;
}
