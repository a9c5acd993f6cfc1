/**
 * What tool handlers receive. Built once by create-mcp-server.ts; tests build it with test adapters
 * (a kube-sim kubeconfig, a fake CommandRunner, a jenkins-sim URL).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { CommandRunner } from '../exec/command-runner.ts';
import type { PortForwards } from '../port-forward/create-port-forwards.ts';

export interface ToolSettings {
  /** kubeconfig file passed to kubectl/helm as --kubeconfig (undefined = their default resolution) */
  kubeconfigPath?: string;
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
  /** Jenkins HTTP request timeout in ms (default 15000). */
  jenkinsTimeoutMs?: number;
  /** Interval between Jenkins queue polls after a trigger, in ms (default 1000; tests use a few ms). */
  jenkinsPollIntervalMs?: number;
}

/** Resolves a Jenkins credentials reference to basic-auth credentials. Never exposed to the model. */
export interface JenkinsCredentialResolver {
  resolve(reference: { apiUrl: string; credentialsRef: string }): Promise<{ apiUrl: string; username: string; apiToken: string }>;
}

export interface ToolDeps {
  settings: ToolSettings;
  kubeConfig: KubeConfig;
  runner: CommandRunner;
  jenkinsCredentials: JenkinsCredentialResolver;
  /**
   * Port forwards owned by the server process. createMcpServer and startMcpHttpServer add one (and close it
   * with the server) when the deps have none; without one, k8s_port_forward says it cannot run.
   */
  portForwards?: PortForwards;
}
