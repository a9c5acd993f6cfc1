/**
 * A cluster that enforces approvals (issue 34), for the suites that run the engine with
 * SKYFLO_APPROVAL_ENFORCEMENT=cluster: kube-sim over TLS (kubectl and client-go send bearer tokens only over HTTPS)
 * with the MCP server's standing user and a kubeconfig of it, the Skyflo CRDs asked for, the install namespace, the
 * executor's identity exactly as an install grants it, an engine signing key pair, the real executor and the approval
 * webhook pointing at it. `prepare` runs, as the admin, after the CRDs and the install namespace and before the
 * executor's identity (the workloads, the MCP user's RBAC).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { approvalWebhookConfiguration, startExecutor, type RunningExecutor } from '@skyflo/operator/executor';
import { startKubeSim, type KubeSim, type SimulationSettings } from '@skyflo/sandbox/kube-sim';
import { helmPath, kubectlPath, repoRoot } from '@skyflo/testkit/tools';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { stringify as toYaml } from 'yaml';
import { installExecutorIdentity } from '../../support/executor-install.ts';

const run = promisify(execFile);

export const installNamespace = 'skyflo';
/** the MCP server's standing user (read-only: every access profile is, with enforced approvals) */
export const mcpUser = 'skyflo-mcp';
const mcpToken = 'mcp-standing-token-read-only';
const crdsDir = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds');
export const approvalsCrd = path.join(crdsDir, 'skyfloapprovals.skyflo.ai.yaml');
export const approverKeysCrd = path.join(crdsDir, 'skyfloapproverkeys.skyflo.ai.yaml');

export interface EnforcedClusterAdmin {
  dir: string;
  kube: KubeSim;
  /** kubectl with `kubeconfig` (and `input` on stdin): trimmed stdout; a failure throws */
  kubectlWith(kubeconfig: string, args: string[], input?: string): Promise<string>;
  /** kubectl as the admin */
  kubectl(...args: string[]): Promise<string>;
  /** `kubectl apply -f -` of the objects, as the admin */
  apply(objects: unknown[]): Promise<string>;
  /** helm as the admin (its cache, config and data in the directory) */
  helm(...args: string[]): Promise<string>;
}

export interface EnforcedCluster extends EnforcedClusterAdmin {
  adminKubeconfig: string;
  mcpKubeconfig: string;
  executorKubeConfig: KubeConfig;
  /** the engine's approval signing key (SKYFLO_APPROVAL_SIGNING_KEY) and the public half the executor trusts */
  privateKeyPem: string;
  publicKeyPem: string;
  /** the executor running now (undefined once a test stopped it) */
  executor: RunningExecutor | undefined;
  /** starts the executor again with the same identity, keys and caller token */
  startExecutor(): Promise<RunningExecutor>;
  /** closes the executor and kube-sim and removes the directory */
  close(): Promise<void>;
}

export interface EnforcedClusterOptions {
  /** the temporary directory's name starts with `skyflo-<name>-` */
  name: string;
  /** the token the engine calls the executor with */
  callerToken: string;
  settings: Partial<SimulationSettings>;
  /** the CRDs to apply (approvalsCrd, approverKeysCrd) */
  crds: string[];
  prepare(admin: EnforcedClusterAdmin): Promise<void>;
}

export async function startEnforcedCluster(options: EnforcedClusterOptions): Promise<EnforcedCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), `skyflo-${options.name}-`));
  const adminKubeconfig = path.join(dir, 'admin.kubeconfig');
  const mcpKubeconfig = path.join(dir, 'mcp.kubeconfig');
  const kube = await startKubeSim({ port: 0, tls: true, kubeconfigPath: adminKubeconfig, users: [{ name: mcpUser, token: mcpToken }], settings: options.settings });
  kube.writeKubeconfig(mcpKubeconfig, { user: mcpUser });
  const env = { ...process.env, KUBECACHEDIR: path.join(dir, 'cache'), HELM_CACHE_HOME: path.join(dir, 'helm-cache'), HELM_CONFIG_HOME: path.join(dir, 'helm-config'), HELM_DATA_HOME: path.join(dir, 'helm-data') };
  const kubectlWith = async (kubeconfig: string, args: string[], input?: string) => {
    const child = run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env });
    if (input !== undefined) child.child.stdin?.end(input);
    return (await child).stdout.trim();
  };
  const kubectl = (...args: string[]) => kubectlWith(adminKubeconfig, args);
  const apply = (objects: unknown[]) => kubectlWith(adminKubeconfig, ['apply', '-f', '-'], objects.map((object) => toYaml(object)).join('---\n'));
  const helm = async (...args: string[]) => (await run(helmPath, ['--kubeconfig', adminKubeconfig, ...args], { env })).stdout.trim();
  const admin: EnforcedClusterAdmin = { dir, kube, kubectlWith, kubectl, apply, helm };
  for (const crd of options.crds) await kubectl('apply', '-f', crd);
  await kubectl('create', 'namespace', installNamespace);
  await options.prepare(admin);
  // The executor's identity, exactly as an install grants it (cluster-wide).
  const executorKubeConfig = await installExecutorIdentity({ apply, kubectl, kubeUrl: kube.url, installNamespace, dir });
  const keys = await generateKeyPair('EdDSA', { extractable: true });
  const publicKeyPem = await exportSPKI(keys.publicKey);
  const privateKeyPem = await exportPKCS8(keys.privateKey);
  const cluster: EnforcedCluster = {
    ...admin,
    adminKubeconfig,
    mcpKubeconfig,
    executorKubeConfig,
    privateKeyPem,
    publicKeyPem,
    executor: undefined,
    async startExecutor() {
      cluster.executor = await startExecutor({ kubeConfig: executorKubeConfig, namespace: installNamespace, clusterName: 'kube-sim', enginePublicKeys: [publicKeyPem], callerToken: options.callerToken, port: 0 });
      return cluster.executor;
    },
    async close() {
      await cluster.executor?.close();
      await kube.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const running = await cluster.startExecutor();
  await apply([approvalWebhookConfiguration({ namespace: installNamespace, url: running.webhookUrl })]);
  return cluster;
}
