/**
 * `skyflo executor`: flags and environment → ExecutorOptions, then run until SIGTERM/SIGINT. Runs in its own pod as
 * ServiceAccount `skyflo-executor` (never the engine's or the MCP server's identity). Every missing or unreadable
 * setting is reported together, naming the flag and the variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { approverSignatureRequirementSchema, roleMembersSchema, unboundClusterName } from '@skyflo/protocol';
import { z } from 'zod';
import { callerTokenProblems } from './caller-auth.ts';
import type { ExecutorLogger, ExecutorOptions } from './executor-options.ts';
import { startExecutor } from './index.ts';

const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export const executorUsage = `Usage: skyflo executor [options]

Runs the approval executor: verifies the engine's signed approvals, mirrors them as SkyfloApprovals, mints a
short-lived ServiceAccount token per approval for exactly the approved objects, and serves the admission webhook
that refuses any other write by those accounts.

Options (each also from the environment):
  --kubeconfig <path>          the executor's own identity (default: in-cluster config, else KUBECONFIG or ~/.kube/config)
  --namespace <ns>             SKYFLO_EXECUTOR_NAMESPACE: the install namespace, where SkyfloApprovals live
                               (default: the pod's namespace)
  --namespaces <a,b>           SKYFLO_EXECUTOR_NAMESPACES: the only namespaces it may grant access in (default: cluster-wide)
  --cluster <name>             SKYFLO_EXECUTOR_CLUSTER: the cluster it guards, as the engine names it (a kubeconfig
                               context name; default in-cluster, the engine's own): approvals for others mint nothing
  SKYFLO_EXECUTOR_CLUSTER_LABELS  JSON object, e.g. {"env":"prod"}: the labels SkyfloPolicy expressions see as
                               cluster.labels (keep it equal to what the engine's policies see for this cluster)
  SKYFLO_EXECUTOR_ROLE_MEMBERS JSON, e.g. {"admin":["zoe@example.com"],"approver":["bob@example.com"]}: who holds
                               each role when a require_role SkyfloPolicy matches (the approver's passkey must be one
                               of theirs; an admin counts as an approver); unset, such a policy mints nothing
  --engine-public-keys-file <path>  SKYFLO_ENGINE_PUBLIC_KEYS (PEM) or SKYFLO_ENGINE_PUBLIC_KEYS_FILE: the engine's
                               Ed25519 public key(s), SPKI PEM (several during a rotation)
  --token-file <path>          SKYFLO_EXECUTOR_TOKEN or SKYFLO_EXECUTOR_TOKEN_FILE: the bearer the engine presents
                               (approvals, credentials, approver keys; nothing else)
  --dry-run-token-file <path>  SKYFLO_DRY_RUN_TOKEN or SKYFLO_DRY_RUN_TOKEN_FILE: the MCP server's own bearer, which
                               opens POST /v1/dry-run and /v1/helm/render only (unset: they answer nobody)
  --helm-path <path>           SKYFLO_EXECUTOR_HELM_PATH: a helm 3 binary; Helm previews (POST /v1/helm/render, the MCP
                               server's token) are rendered with it as the executor (unset: they answer UNSUPPORTED)
  --admission-token-file <path>  SKYFLO_EXECUTOR_ADMISSION_TOKEN or SKYFLO_EXECUTOR_ADMISSION_TOKEN_FILE: the bearer
                               the API server presents to the webhook (its AdmissionConfiguration kubeconfig); set, the
                               webhook answers nothing else; unset, it answers anyone and its refusals stay vague
  --tls-cert-file <path>       SKYFLO_EXECUTOR_TLS_CERT_FILE: serving certificate (the API server calls webhooks over HTTPS)
  --tls-key-file <path>        SKYFLO_EXECUTOR_TLS_KEY_FILE
  --port <n>                   PORT (default 8443)
  SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE  all | destructive | none (default none): which approvals need the
                               approver's passkey signature (checked against SkyfloApproverKeys) before a credential,
                               besides those the engine's passkey policy marks (always checked)
  SKYFLO_EXECUTOR_WEBAUTHN_RP_ID / SKYFLO_EXECUTOR_WEBAUTHN_ORIGIN  the Command Center's WebAuthn RP ID and origin
                               (required unless none)
  --host <ip>                  HOST (default 0.0.0.0 with TLS, 127.0.0.1 without)
  -h, --help                   show this help
`;

export class ExecutorConfigError extends Error {}

/**
 * A JSON setting (issue 76: SKYFLO_EXECUTOR_CLUSTER_LABELS, SKYFLO_EXECUTOR_ROLE_MEMBERS): undefined when unset, the
 * schema's value, or a problem saying what it must be (`expected`) and what it got.
 */
function parseJsonSetting<T>(problems: string[], name: string, text: string | undefined, schema: z.ZodType<T>, expected: string): T | undefined {
  if (!text?.trim()) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.push(`${name} must be ${expected}, got ${JSON.stringify(text.slice(0, 100))}`);
  return undefined;
}

function readSecret(problems: string[], what: string, value: string | undefined, file: string | undefined): string | undefined {
  if (value?.trim()) return value.trim();
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim() || (problems.push(`${what}: the file ${file} is empty`), undefined);
  } catch (error) {
    problems.push(`${what}: cannot read ${file}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Splits concatenated PEM blocks into one key each. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
}

export function loadExecutorConfig(argv: string[], env: NodeJS.ProcessEnv): (Omit<ExecutorOptions, 'kubeConfig'> & { kubeconfig?: string }) | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        namespaces: { type: 'string' },
        cluster: { type: 'string' },
        'engine-public-keys-file': { type: 'string' },
        'token-file': { type: 'string' },
        'dry-run-token-file': { type: 'string' },
        'helm-path': { type: 'string' },
        'admission-token-file': { type: 'string' },
        'tls-cert-file': { type: 'string' },
        'tls-key-file': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ExecutorConfigError((error as Error).message);
  }
  if (values.help) return 'help';
  const flag = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const problems: string[] = [];
  const namespace = flag('namespace') ?? env.SKYFLO_EXECUTOR_NAMESPACE ?? (existsSync(serviceAccountNamespaceFile) ? readFileSync(serviceAccountNamespaceFile, 'utf8').trim() : undefined);
  if (!namespace) problems.push('the install namespace is missing: set --namespace or SKYFLO_EXECUTOR_NAMESPACE');
  const namespacesText = flag('namespaces') ?? env.SKYFLO_EXECUTOR_NAMESPACES;
  const allowedNamespaces = namespacesText?.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (namespacesText !== undefined && !allowedNamespaces?.length) problems.push('SKYFLO_EXECUTOR_NAMESPACES (--namespaces) is set but names no namespace; unset it for a cluster-wide executor');

  const keysText = flag('engine-public-keys-file')
    ? readSecret(problems, '--engine-public-keys-file', undefined, flag('engine-public-keys-file'))
    : readSecret(problems, 'SKYFLO_ENGINE_PUBLIC_KEYS_FILE', env.SKYFLO_ENGINE_PUBLIC_KEYS, env.SKYFLO_ENGINE_PUBLIC_KEYS_FILE);
  const enginePublicKeys = keysText ? pemBlocks(keysText) : [];
  if (!keysText) problems.push("the engine's public key is missing: set SKYFLO_ENGINE_PUBLIC_KEYS (PEM) or SKYFLO_ENGINE_PUBLIC_KEYS_FILE (--engine-public-keys-file); without it no approval can be verified");
  else if (!enginePublicKeys.length) problems.push('SKYFLO_ENGINE_PUBLIC_KEYS holds no "-----BEGIN PUBLIC KEY-----" block (an SPKI PEM Ed25519 key)');

  const callerToken = flag('token-file') ? readSecret(problems, '--token-file', undefined, flag('token-file')) : readSecret(problems, 'SKYFLO_EXECUTOR_TOKEN_FILE', env.SKYFLO_EXECUTOR_TOKEN, env.SKYFLO_EXECUTOR_TOKEN_FILE);
  if (!callerToken) problems.push('the caller token is missing: set SKYFLO_EXECUTOR_TOKEN or SKYFLO_EXECUTOR_TOKEN_FILE (--token-file), the bearer the engine presents');
  const dryRunToken = flag('dry-run-token-file') ? readSecret(problems, '--dry-run-token-file', undefined, flag('dry-run-token-file')) : readSecret(problems, 'SKYFLO_DRY_RUN_TOKEN_FILE', env.SKYFLO_DRY_RUN_TOKEN, env.SKYFLO_DRY_RUN_TOKEN_FILE);
  const admissionToken = flag('admission-token-file')
    ? readSecret(problems, '--admission-token-file', undefined, flag('admission-token-file'))
    : readSecret(problems, 'SKYFLO_EXECUTOR_ADMISSION_TOKEN_FILE', env.SKYFLO_EXECUTOR_ADMISSION_TOKEN, env.SKYFLO_EXECUTOR_ADMISSION_TOKEN_FILE);
  if (callerToken) problems.push(...callerTokenProblems({ engine: callerToken, dryRun: dryRunToken, admission: admissionToken }));

  const certFile = flag('tls-cert-file') ?? env.SKYFLO_EXECUTOR_TLS_CERT_FILE;
  const keyFile = flag('tls-key-file') ?? env.SKYFLO_EXECUTOR_TLS_KEY_FILE;
  let tls: ExecutorOptions['tls'];
  if (!!certFile !== !!keyFile) problems.push('TLS needs both SKYFLO_EXECUTOR_TLS_CERT_FILE and SKYFLO_EXECUTOR_TLS_KEY_FILE (--tls-cert-file, --tls-key-file)');
  else if (certFile && keyFile) {
    const certPem = readSecret(problems, 'SKYFLO_EXECUTOR_TLS_CERT_FILE', undefined, certFile);
    const keyPem = readSecret(problems, 'SKYFLO_EXECUTOR_TLS_KEY_FILE', undefined, keyFile);
    if (certPem && keyPem) tls = { certPem, keyPem };
  }
  const portText = flag('port') ?? env.PORT ?? '8443';
  const port = /^\d+$/.test(portText) && Number(portText) <= 65_535 ? Number(portText) : undefined;
  if (port === undefined) problems.push(`PORT (--port) must be a number between 0 and 65535, got "${portText}"`);
  const requireText = (env.SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE ?? 'none').trim() || 'none';
  const require = approverSignatureRequirementSchema.safeParse(requireText);
  if (!require.success) problems.push(`SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE must be all, destructive or none, got "${requireText}"`);
  const rpId = env.SKYFLO_EXECUTOR_WEBAUTHN_RP_ID?.trim() || undefined;
  const origin = env.SKYFLO_EXECUTOR_WEBAUTHN_ORIGIN?.trim() || undefined;
  if (require.success && require.data !== 'none' && (!rpId || !origin)) {
    problems.push(`SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE=${require.data} needs SKYFLO_EXECUTOR_WEBAUTHN_RP_ID and SKYFLO_EXECUTOR_WEBAUTHN_ORIGIN (the Command Center's passkey relying party)`);
  }
  // `cluster.labels` for SkyfloPolicy expressions, and who holds each role for a require_role one
  const clusterLabels = parseJsonSetting(problems, 'SKYFLO_EXECUTOR_CLUSTER_LABELS', env.SKYFLO_EXECUTOR_CLUSTER_LABELS, z.record(z.string(), z.string()), 'a JSON object of strings, e.g. {"env":"prod"}');
  const roleMembers = parseJsonSetting(problems, 'SKYFLO_EXECUTOR_ROLE_MEMBERS', env.SKYFLO_EXECUTOR_ROLE_MEMBERS, roleMembersSchema, 'a JSON object of the roles approver and admin, each a list of emails or user ids, e.g. {"admin":["zoe@example.com"]}');
  if (problems.length) throw new ExecutorConfigError(problems.join('\n'));
  return {
    ...(clusterLabels ? { clusterLabels } : {}),
    ...(roleMembers ? { roleMembers } : {}),
    approverSignature: { require: require.data!, ...(rpId ? { rpId } : {}), ...(origin ? { origin } : {}) },
    kubeconfig: flag('kubeconfig'),
    namespace: namespace!,
    allowedNamespaces,
    clusterName: (flag('cluster') ?? env.SKYFLO_EXECUTOR_CLUSTER)?.trim() || unboundClusterName,
    enginePublicKeys,
    callerToken: callerToken!,
    ...(dryRunToken ? { dryRunToken } : {}),
    ...(admissionToken ? { admissionToken } : {}),
    ...((flag('helm-path') ?? env.SKYFLO_EXECUTOR_HELM_PATH)?.trim() ? { helmPath: (flag('helm-path') ?? env.SKYFLO_EXECUTOR_HELM_PATH)!.trim() } : {}),
    tls,
    port,
    host: flag('host') ?? env.HOST ?? (tls ? '0.0.0.0' : '127.0.0.1'),
  };
}

const jsonLogger: ExecutorLogger = {
  info: (fields, msg) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...fields })}\n`),
  warn: (fields, msg) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg, ...fields })}\n`),
  error: (fields, msg) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg, ...fields })}\n`),
};

export async function executorMain(argv: string[]): Promise<void> {
  let config;
  try {
    config = loadExecutorConfig(argv, process.env);
  } catch (error) {
    if (error instanceof ExecutorConfigError) {
      process.stderr.write(`skyflo executor: ${error.message.split('\n').join('\nskyflo executor: ')}\n\n${executorUsage}`);
      process.exit(2);
    }
    throw error;
  }
  if (config === 'help') {
    process.stdout.write(executorUsage);
    return;
  }
  const { kubeconfig, ...options } = config;
  const kubeConfig = new KubeConfig();
  try {
    if (kubeconfig) kubeConfig.loadFromFile(kubeconfig);
    else kubeConfig.loadFromDefault();
    if (!kubeConfig.getCurrentCluster()) throw new Error('it names no current cluster');
  } catch (error) {
    process.stderr.write(`skyflo executor: could not load the kubeconfig${kubeconfig ? ` ${kubeconfig}` : ''}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let executor;
  try {
    executor = await startExecutor({ ...options, kubeConfig, logger: jsonLogger });
  } catch (error) {
    process.stderr.write(`skyflo executor: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const stop = async (signal: string) => {
    jsonLogger.info({ signal }, 'stopping');
    await executor.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
