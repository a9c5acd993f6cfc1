/**
 * What tool handlers receive. Built once by create-mcp-server.ts; tests build it with test adapters
 * (a kube-sim kubeconfig, a fake CommandRunner, a jenkins-sim URL).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { ObservabilitySources } from '@skyflo/protocol';
import type { CommandRunner } from '../exec/command-runner.ts';
import type { PortForwards } from '../port-forward/create-port-forwards.ts';
import type { ClusterRegistry } from './cluster-registry.ts';

export interface ToolSettings {
  /**
   * kubeconfig file passed to kubectl/helm as --kubeconfig (undefined = their default resolution); several files
   * joined by ':' (like KUBECONFIG) are merged like kubectl does and passed to kubectl/helm as KUBECONFIG
   */
  kubeconfigPath?: string;
  /** Set per call (never configured): the cluster (kubeconfig context) a call named; kubectl --context, helm --kube-context. */
  kubeContext?: string;
  /** Set with kubeContext: the API server loaded for that context at start, pinned on kubectl/helm (see KubeInvocation.server). */
  kubeServer?: string;
  /**
   * SKYFLO_DRY_RUN_URL(S) and SKYFLO_DRY_RUN_TOKEN(_FILE) as the process configured them (`skyflo mcp` from its
   * config/server-config.ts, the engine from its own configuration); absent: no dry-run proxy. Never read from the
   * environment here, so what a server does is what its configuration says.
   */
  dryRunProxyEnv?: Record<string, string | undefined>;
  /** SKYFLO_CLUSTER_LABELS parsed by the process's configuration: context name → label such as "prod" (default: none) */
  clusterLabels?: Record<string, string>;
  kubectlPath: string;
  helmPath: string;
  /** byte budget for any single tool result (default 24 KiB ≈ 6k tokens) */
  outputBudgetBytes: number;
  /** only readOnlyHint tools are listed and callable */
  readOnly: boolean;
  /** namespace where Jenkins credential Secrets live (credentials_ref "ns/name" may name another) */
  integrationsNamespace: string;
  /**
   * Extra environment for helm (HELM_CACHE_HOME, HELM_CONFIG_HOME, HELM_DATA_HOME…), so tests and
   * multi-tenant installs keep repositories and caches apart. Added by the helm/argo/jenkins engineer.
   */
  helmEnv?: Record<string, string>;
  /** Directories local chart paths must resolve under; without any, only repo/chart and oci:// references are accepted. */
  helmChartDirs?: string[];
  /**
   * Content-addressed cache of chart archives pinned by preview_tool_call (`<sha256>.tgz`). An approved
   * install/upgrade carrying chart_digest installs exactly that file, so it must survive between the preview
   * and the approval; default ~/.cache/skyflo/helm-charts (or the OS temp directory without a home).
   */
  helmChartCacheDir?: string;
  /**
   * Hosts (host or host:port) of OCI registries that helm may contact besides the repositories in helm's
   * repositories.yaml (those added through the approved helm_repo_add). Anything else is refused before
   * helm runs, so a read-only tool cannot be made to reach an arbitrary host. From HELM_ALLOWED_REGISTRIES.
   */
  helmAllowedRegistries?: string[];
  /** Set per call (never configured): the identity a trusted caller asked this call to act as. */
  impersonation?: { user: string; groups: string[] };
  /**
   * The HPA controller's sync period in seconds (kube-controller-manager's --horizontal-pod-autoscaler-sync-period,
   * default 15; from HPA_SYNC_PERIOD_SECONDS): a scale of an HPA's target must hold this long before it is verified.
   */
  hpaSyncPeriodSeconds?: number;
  /** Jenkins HTTP request timeout in ms (default 15000). */
  jenkinsTimeoutMs?: number;
  /** Interval between Jenkins queue polls after a trigger, in ms (default 1000; tests use a few ms). */
  jenkinsPollIntervalMs?: number;
  /** Prometheus/Loki HTTP request timeout in ms (default 15000). */
  observabilityTimeoutMs?: number;
  /**
   * The most bytes read from one answer of Prometheus, Loki or Jenkins, counted while it streams (default 16 MiB,
   * @skyflo/connectors/egress): past it reading stops and the call answers an error naming the cap.
   */
  integrationResponseMaxBytes?: number;
}

/**
 * Resolves a Jenkins credentials reference to its integration: the Jenkins URL the credentials belong to and
 * basic-auth credentials. Never exposed to the model. The URL comes from the integration, never from the caller
 * (`apiUrl` is what the caller passed, for resolvers that want to log or check it).
 */
export interface JenkinsCredentialResolver {
  resolve(reference: { apiUrl?: string; credentialsRef: string }): Promise<{ apiUrl: string; username: string; apiToken: string }>;
}

export interface ToolDeps {
  settings: ToolSettings;
  kubeConfig: KubeConfig;
  runner: CommandRunner;
  jenkinsCredentials: JenkinsCredentialResolver;
  /**
   * Every cluster (kubeconfig context) this server may act on; createToolDeps loads it with the kubeconfig. Deps built
   * by hand go without: their KubeConfig's contexts are the clusters then (see kube/context-deps.ts).
   */
  clusters?: ClusterRegistry;
  /**
   * Port forwards owned by the server process. createMcpServer and startMcpHttpServer add one (and close it
   * with the server) when the deps have none; without one, k8s_port_forward says it cannot run.
   */
  portForwards?: PortForwards;
  /**
   * How the Jenkins tools send requests: createToolDeps gives the pinned fetch of @skyflo/connectors/egress (no
   * link-local or metadata address, checked on the address connected to). Deps built by hand (tests) may omit it.
   */
  jenkinsFetch?: typeof fetch;
  /** The Prometheus and Loki data sources of this call (set per call from the engine's integrations; see tools/observability/data-sources.ts). */
  observabilitySources?: ObservabilitySources;
  /** How the observability tools send requests: the same pinned egress fetch as Jenkins' (createToolDeps). */
  observabilityFetch?: typeof fetch;
}

/**
 * A copy of `base` with `changes` applied that keeps accessors as accessors: createToolDeps loads the kubeconfig
 * lazily behind a getter, and an object spread would call it (and load @kubernetes/client-node) at once.
 */
export function withToolDeps(base: ToolDeps, changes: Partial<ToolDeps>): ToolDeps {
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(base)) as ToolDeps;
  for (const [key, value] of Object.entries(changes)) Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}
