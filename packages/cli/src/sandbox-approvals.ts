/**
 * Cluster-enforced approvals in `skyflo sandbox` (issue 34), so a newcomer sees them: in each simulated cluster the
 * SkyfloApproval CRD, a read-only identity for the MCP server (`skyflo-mcp`, the `read-only` access profile), and the
 * executor running in this process under its own identity (`skyflo-executor`, the rules an install grants it) with its
 * admission webhook registered. The engine gets the enforcement env: its Ed25519 signing key and the executor's caller
 * token are generated at start and kept in the sandbox's state dir (0600). Each caller of the executor has its own
 * token (issue 73): the engine SKYFLO_EXECUTOR_TOKEN_FILE, the MCP server only SKYFLO_DRY_RUN_TOKEN_FILE (the dry-run
 * proxy, nothing else), and the simulated API servers present the admission token to the webhook, as kube-apiserver
 * does through its AdmissionConfiguration (sandbox-clusters.ts). Loaded only by the sandbox command.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { SimUserConfig } from '@skyflo/sandbox/kube-sim';
import type { SandboxClusters } from './sandbox-clusters.ts';

export const sandboxInstallNamespace = 'skyflo';
const mcpAccount = 'skyflo-mcp';
const executorAccount = 'skyflo-executor';
/**
 * The chart's CRDs the sandbox installs: the approvals and the approver key registry (issue 35) the executor keeps, and
 * the SkyfloPolicy and SkyfloFreeze objects it judges each mint by (issue 76), so a newcomer can `kubectl apply` one.
 */
const crdFiles = [
  new URL('../../../deploy/helm/skyflo/crds/skyfloapprovals.skyflo.ai.yaml', import.meta.url),
  new URL('../../../deploy/helm/skyflo/crds/skyfloapproverkeys.skyflo.ai.yaml', import.meta.url),
  new URL('../../../deploy/helm/skyflo/crds/skyflopolicies.skyflo.ai.yaml', import.meta.url),
  new URL('../../../deploy/helm/skyflo/crds/skyflofreezes.skyflo.ai.yaml', import.meta.url),
];

export interface SandboxIdentities {
  mcpToken: string;
  executorToken: string;
  /** what the simulated API servers present to the executor's webhook (startSandboxClusters' webhookToken) */
  admissionToken: string;
  /** kube-sim users (static bearer tokens) for the two ServiceAccounts, for every simulated cluster */
  users: SimUserConfig[];
}

/** The ServiceAccount identities kube-sim authenticates (its RBAC, set up below, decides what they may do). */
export function sandboxIdentities(): SandboxIdentities {
  const groups = ['system:serviceaccounts', `system:serviceaccounts:${sandboxInstallNamespace}`];
  const mcpToken = randomBytes(24).toString('hex');
  const executorToken = randomBytes(24).toString('hex');
  return {
    mcpToken,
    executorToken,
    admissionToken: randomBytes(32).toString('base64url'),
    users: [
      { name: `system:serviceaccount:${sandboxInstallNamespace}:${mcpAccount}`, token: mcpToken, groups },
      { name: `system:serviceaccount:${sandboxInstallNamespace}:${executorAccount}`, token: executorToken, groups },
    ],
  };
}

export interface SandboxApprovals {
  /** the engine's variables: enforcement, executor(s), key and token files, and the MCP server's read-only kubeconfig */
  env: Record<string, string>;
  mcpKubeconfigPath: string;
  executors: Array<{ cluster: string; url: string }>;
  lines: string[];
  close(): Promise<void>;
}

/** A kubeconfig with one context per simulated cluster (the admin kubeconfig's names), every user holding `token`. */
function tokenKubeconfig(sandbox: SandboxClusters, token: string, only?: string): string {
  const clusters = sandbox.clusters.filter(({ name }) => !only || name === only);
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': clusters[0]!.name,
    clusters: clusters.map(({ name, sim }) => ({ name, cluster: { server: sim.url, 'insecure-skip-tls-verify': true } })),
    users: clusters.map(({ name }) => ({ name: `${name}-sa`, user: { token } })),
    contexts: clusters.map(({ name }) => ({ name, context: { cluster: name, user: `${name}-sa`, namespace: 'default' } })),
  });
}

async function applyAll(client: KubernetesObjectApi, objects: KubernetesObject[]): Promise<void> {
  for (const object of objects) await client.create(object);
}

/**
 * `helmPath`: the helm each executor renders Helm previews with as its own identity (issue 73 item 6: the MCP server's
 * read-only identity may not read release storage); default the helm the embedded MCP server runs.
 */
export async function startSandboxApprovals(sandbox: SandboxClusters, identities: SandboxIdentities, stateDir: string, options: { helmPath?: string } = {}): Promise<SandboxApprovals> {
  const helmPath = options.helmPath ?? (await import('@skyflo/mcp-server')).defaultToolSettings.helmPath;
  const { startExecutor, approvalWebhookConfiguration, executorClusterScopeRules, executorDryRunRules, executorGrantRules, executorInstallNamespaceRules, profileRules } = await import('@skyflo/operator');
  const directory = path.join(stateDir, 'sandbox-approvals');
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signingKeyPath = path.join(directory, 'signing-key.pem');
  const callerTokenPath = path.join(directory, 'executor-token');
  const callerToken = randomBytes(32).toString('base64url');
  // the MCP server's own token: it opens the executor's dry-run proxy and no other endpoint
  const dryRunTokenPath = path.join(directory, 'dry-run-token');
  const dryRunToken = randomBytes(32).toString('base64url');
  writeFileSync(signingKeyPath, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  writeFileSync(callerTokenPath, callerToken, { mode: 0o600 });
  writeFileSync(dryRunTokenPath, dryRunToken, { mode: 0o600 });
  const mcpKubeconfigPath = path.join(directory, 'mcp.kubeconfig');
  writeFileSync(mcpKubeconfigPath, tokenKubeconfig(sandbox, identities.mcpToken), { mode: 0o600 });
  const crds = crdFiles.map((file) => parseYaml(readFileSync(file, 'utf8')) as KubernetesObject);
  const rbac = 'rbac.authorization.k8s.io';
  const subject = (name: string) => [{ kind: 'ServiceAccount', name, namespace: sandboxInstallNamespace }];
  const clusterRole = (name: string, rules: unknown, account: string): KubernetesObject[] => [
    { apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name }, rules } as KubernetesObject,
    { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name }, subjects: subject(account) } as KubernetesObject,
  ];

  const executors: Array<{ cluster: string; url: string; close(): Promise<void> }> = [];
  try {
    for (const { name, sim } of sandbox.clusters) {
      const admin = new KubeConfig();
      admin.loadFromString(toYaml({ apiVersion: 'v1', kind: 'Config', 'current-context': 'admin', clusters: [{ name: 'sim', cluster: { server: sim.url, 'insecure-skip-tls-verify': true } }], users: [{ name: 'admin', user: { token: sim.adminToken } }], contexts: [{ name: 'admin', context: { cluster: 'sim', user: 'admin' } }] }));
      const client = KubernetesObjectApi.makeApiClient(admin);
      // What the chart installs (deploy/helm/skyflo): the CRDs, the two ServiceAccounts and their RBAC
      await applyAll(client, [
        ...crds,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: sandboxInstallNamespace } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: mcpAccount, namespace: sandboxInstallNamespace } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: executorAccount, namespace: sandboxInstallNamespace } },
        ...clusterRole(`skyflo:${sandboxInstallNamespace}:mcp`, profileRules('read-only'), mcpAccount),
        { apiVersion: `${rbac}/v1`, kind: 'Role', metadata: { name: executorAccount, namespace: sandboxInstallNamespace }, rules: executorInstallNamespaceRules } as KubernetesObject,
        { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: executorAccount, namespace: sandboxInstallNamespace }, roleRef: { apiGroup: rbac, kind: 'Role', name: executorAccount }, subjects: subject(executorAccount) } as KubernetesObject,
        ...clusterRole(`skyflo:${sandboxInstallNamespace}:executor`, [...executorGrantRules, ...executorClusterScopeRules], executorAccount),
        // the previews' server-side dry-runs run as the executor (its dry-run proxy forces dryRun=All)
        ...clusterRole(`skyflo:${sandboxInstallNamespace}:executor-dry-run`, executorDryRunRules, executorAccount),
      ]);
      const own = new KubeConfig();
      own.loadFromString(tokenKubeconfig(sandbox, identities.executorToken, name));
      const executor = await startExecutor({ kubeConfig: own, namespace: sandboxInstallNamespace, clusterName: name, enginePublicKeys: [publicKey.export({ format: 'pem', type: 'spki' }).toString()], callerToken, dryRunToken, helmPath, ...(sandbox.webhookToken ? { admissionToken: sandbox.webhookToken } : {}), port: 0 });
      executors.push({ cluster: name, url: executor.url, close: executor.close });
      // kube-sim calls webhooks on loopback by URL (the chart's points at the executor's Service instead)
      await client.create(approvalWebhookConfiguration({ namespace: sandboxInstallNamespace, url: executor.webhookUrl }) as KubernetesObject);
    }
  } catch (error) {
    for (const executor of executors) await executor.close().catch(() => {});
    throw error;
  }

  const several = executors.length > 1;
  return {
    env: {
      SKYFLO_APPROVAL_ENFORCEMENT: 'cluster',
      SKYFLO_EXECUTOR_URL: executors[0]!.url,
      ...(several ? { SKYFLO_EXECUTORS: JSON.stringify(Object.fromEntries(executors.map(({ cluster, url }) => [cluster, url]))) } : {}),
      // the engine's token (approvals, credentials, approver keys)
      SKYFLO_EXECUTOR_TOKEN_FILE: callerTokenPath,
      // the MCP server's previews run their server-side dry-runs, and its Helm previews, through the executor (RBAC
      // refuses them to a read-only identity), with the MCP server's own token, which opens nothing else
      SKYFLO_DRY_RUN_TOKEN_FILE: dryRunTokenPath,
      SKYFLO_DRY_RUN_URL: executors[0]!.url,
      ...(several ? { SKYFLO_DRY_RUN_URLS: JSON.stringify(Object.fromEntries(executors.map(({ cluster, url }) => [cluster, url]))) } : {}),
      SKYFLO_APPROVAL_SIGNING_KEY_FILE: signingKeyPath,
      // the MCP server's own identity is read-only; each approved write runs with the credential minted for it
      KUBECONFIG: mcpKubeconfigPath,
    },
    mcpKubeconfigPath,
    executors: executors.map(({ cluster, url }) => ({ cluster, url })),
    lines: [
      `  approvals are enforced by the cluster: Skyflo reads as ${mcpAccount} (read-only); each approved write runs as a ServiceAccount made for that approval`,
      `  see them: kubectl --kubeconfig ${sandbox.kubeconfigPath} get skyfloapprovals -n ${sandboxInstallNamespace}${several ? ' (--context for the other cluster)' : ''}`,
    ],
    close: async () => {
      for (const executor of executors) await executor.close();
    },
  };
}
