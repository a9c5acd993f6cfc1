/**
 * A live cluster for the end-to-end suites: kube-sim in a temporary directory (its admin kubeconfig there), the real
 * kubectl (and helm) against it as the admin, and the real MCP server over Streamable HTTP with the engine's token
 * (the trusted, approval-gated path; without the token the server treats a caller as a direct client and asks for
 * confirmation through MCP elicitation, issue 10). `prepare` fills the cluster before the MCP server starts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim, type StartKubeSimOptions } from '@skyflo/sandbox/kube-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';

const run = promisify(execFile);

/** the token the engine presents to the MCP server */
export const engineMcpToken = 'engine-mcp-token';

/** testkit's Deployment `name` in `default` (one container named like it, labelled app=`name`), running `image` */
export const deploymentWithImage = (name: string, image: string, replicas = 2) => deploymentYaml(name, replicas).replace('image: "nginx:1.27"', `image: "${image}"`);

export interface ClusterAccess {
  directory: string;
  kubeconfig: string;
  /** HELM_CACHE_HOME, HELM_CONFIG_HOME and HELM_DATA_HOME in the directory */
  helmEnv: Record<string, string>;
  kube: KubeSim;
  /** the real kubectl as the admin: trimmed stdout; a failure throws */
  kubectl(...args: string[]): Promise<string>;
  /** the same, never throwing: the exit code and stdout (stderr when it failed) */
  tryKubectl(...args: string[]): Promise<{ code: number; stdout: string }>;
  /** the real helm as the admin: trimmed stdout */
  helm(...args: string[]): Promise<string>;
  /** writes `manifest` (YAML or JSON) to a file of the directory and `kubectl apply -f`s it */
  apply(manifest: string): Promise<void>;
}

export interface LiveCluster extends ClusterAccess {
  mcp: McpHttpServer;
  /** a new tool gateway to the MCP server with the engine's token (the caller closes it) */
  engineTools(): ToolGateway;
  /** closes the MCP server and kube-sim and removes the directory */
  close(): Promise<void>;
}

export interface LiveClusterOptions {
  /** the temporary directory's name starts with `skyflo-<name>-` */
  name: string;
  kubeSim?: Omit<StartKubeSimOptions, 'port' | 'kubeconfigPath'>;
  /** the MCP server runs the real helm too, with local charts allowed from these directories */
  helmChartDirs?: string[];
  /** what the cluster holds before the MCP server starts */
  prepare?(cluster: ClusterAccess): Promise<void>;
}

export async function startLiveCluster(options: LiveClusterOptions): Promise<LiveCluster> {
  const directory = await mkdtemp(path.join(tmpdir(), `skyflo-${options.name}-`));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const helmEnv = { HELM_CACHE_HOME: path.join(directory, 'helm-cache'), HELM_CONFIG_HOME: path.join(directory, 'helm-config'), HELM_DATA_HOME: path.join(directory, 'helm-data') };
  const kube = await startKubeSim({ ...options.kubeSim, port: 0, kubeconfigPath: kubeconfig });
  const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } })).stdout.trim();
  let manifests = 0;
  const access: ClusterAccess = {
    directory,
    kubeconfig,
    helmEnv,
    kube,
    kubectl,
    async tryKubectl(...args) {
      try {
        return { code: 0, stdout: await kubectl(...args) };
      } catch (error) {
        return { code: (error as { code?: number }).code ?? 1, stdout: String((error as { stderr?: string }).stderr ?? '') };
      }
    },
    helm: async (...args) => (await run(helmPath, [...args, '--kubeconfig', kubeconfig], { env: { ...process.env, ...helmEnv } })).stdout.trim(),
    async apply(manifest) {
      const file = path.join(directory, `manifest-${++manifests}.yaml`);
      await writeFile(file, manifest);
      await kubectl('apply', '-f', file);
    },
  };
  await options.prepare?.(access);
  const helm = options.helmChartDirs ? { helmPath, helmEnv, helmChartDirs: options.helmChartDirs, helmChartCacheDir: path.join(directory, 'chart-cache') } : {};
  const mcp = await startMcpHttpServer({ port: 0, authToken: engineMcpToken, settings: { kubeconfigPath: kubeconfig, kubectlPath, ...helm } });
  return {
    ...access,
    mcp,
    engineTools: () => createToolGateway({ url: mcp.url, authToken: engineMcpToken }),
    async close() {
      await mcp.close();
      await kube.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
