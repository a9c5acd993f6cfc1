import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { createTokenAuthenticator, type SimUserConfig } from './auth/authenticator.ts';
import { createRbacAuthorizer } from './auth/rbac-authorizer.ts';
import { createValidatingWebhookAdmission } from './admission/validating-webhooks.ts';
import { createValidatingAdmissionPolicies } from './admission/policies/validating-admission-policies.ts';
import { loadWebhookCredentials } from './admission/webhook-credentials.ts';
import { createServiceAccountTokens } from './auth/service-account-tokens.ts';
import type { SimCluster, SimClock, SimulationSettings } from './cluster-types.ts';
import { createSimCluster } from './cluster.ts';
import { createKubeApiServer } from './http/kube-api-server.ts';
import { createRequestLog, type KubeSimCall } from './http/request-log.ts';
import { createSelfSignedCertificate } from './http/self-signed-certificate.ts';
import { installWorkloads } from './workloads/index.ts';
import { startObservabilityServer, type ObservabilityOptions, type ObservabilityServer } from './observability-server.ts';
import { createShiftableClock } from './scenarios/scenario-timeline.ts';
import { playTimeline, scenarioHistorySeconds } from './scenarios/load-scenario.ts';
import { createSeriesSource } from './prometheus/series-model.ts';

export * from './cluster-types.ts';
export { installArgoRolloutsCrds, argoRolloutsCrds } from './crds/argo-rollouts.ts';
export { createSimCluster, defaultSettings } from './cluster.ts';
export type { SimUserConfig } from './auth/authenticator.ts';
export { writeAdmissionControlConfig } from './admission/webhook-credentials.ts';
export { sandboxRunbooksDir } from './scenarios/load-scenario.ts';
export type { KubeSimCall } from './http/request-log.ts';
export type { ObservabilityOptions, ObservabilityServer } from './observability-server.ts';

export interface StartKubeSimOptions {
  /** port to listen on; 0 (the default) picks a free one */
  port?: number;
  /** interface to bind; default 127.0.0.1 */
  host?: string;
  /** write an admin kubeconfig here once listening */
  kubeconfigPath?: string;
  /** scenario file path or 'demo', passed to the workloads installer */
  scenario?: string;
  /**
   * accept requests without a token as the admin (a wrong token is still refused). Defaults to true
   * without TLS, because kubectl and client-go never send bearer tokens over plain HTTP.
   */
  insecure?: boolean;
  /** serve HTTPS with a self-signed certificate (kubeconfigs always skip verification) */
  tls?: boolean;
  /** simulation delays (readiness, start, crash backoff, job duration) */
  settings?: Partial<SimulationSettings>;
  /** extra users: bearer token → name and groups; RBAC objects in the cluster decide what they may do */
  users?: SimUserConfig[];
  /** fixed admin token (default: random) */
  adminToken?: string;
  /**
   * kube-apiserver's --admission-control-config-file: an AdmissionConfiguration whose ValidatingAdmissionWebhook
   * plugin names a kubeconfig of the credentials presented to webhooks (a bearer token per webhook host, or `*`);
   * without it webhooks are called anonymously
   */
  admissionControlConfigFile?: string;
  /** log every request to stderr */
  debug?: boolean;
  /** install the simulated controllers and pod runtime (default true); false gives a bare API server */
  workloads?: boolean;
  /** clock for creationTimestamps and ages (default: real time) */
  clock?: SimClock;
  /** how many requests `calls` keeps (the oldest go first); default 5,000 */
  callLogLimit?: number;
  /**
   * also serve a Prometheus-compatible query API and a Loki-compatible log query API over the simulated cluster, on a
   * plain-HTTP listener of their own (`observability.url`); needs the workloads (their pods and logs)
   */
  observability?: ObservabilityOptions;
}

export interface KubeSim {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  cluster: SimCluster;
  /** where the admin kubeconfig was written, if asked */
  kubeconfigPath?: string;
  /** bearer token of the admin user (group system:masters) */
  adminToken: string;
  /**
   * Every request received, oldest first (bounded by `callLogLimit`): method, path, query, verb, the user it acted as,
   * status. Never headers, bodies or tokens, so tests can assert on it (and print it) freely.
   */
  calls: KubeSimCall[];
  /** Writes a kubeconfig for the admin, or for one of `users` by name. */
  writeKubeconfig(path: string, options?: { user?: string; namespace?: string }): void;
  /** the Prometheus/Loki listener, when `observability` was asked for */
  observability?: ObservabilityServer;
  close(): Promise<void>;
}

/** Starts a simulated Kubernetes API server that the real kubectl and helm can talk to. */
export async function startKubeSim(options: StartKubeSimOptions = {}): Promise<KubeSim> {
  // read first: a broken configuration is refused before anything starts
  const webhookCredentials = options.admissionControlConfigFile ? loadWebhookCredentials(options.admissionControlConfigFile) : undefined;
  // A scenario with a history starts that long ago and lives through its past before the server listens.
  const historySeconds = options.workloads !== false && options.scenario ? scenarioHistorySeconds(options.scenario) : 0;
  const clock = createShiftableClock(options.clock ?? { now: () => new Date() }, -historySeconds * 1000);
  const cluster = createSimCluster({ settings: options.settings, clock });
  // the series are watched from the first object on, so what changes in the scenario's past is remembered when it happens
  const series = options.observability && options.workloads !== false ? createSeriesSource(cluster, historySeconds > 0 ? { historySeconds: 0 } : { ...(options.observability.historySeconds !== undefined ? { historySeconds: options.observability.historySeconds } : {}) }) : undefined;
  const workloads = options.workloads !== false ? installWorkloads(cluster, { scenario: options.scenario }) : undefined;
  if (workloads) {
    try {
      await playTimeline(workloads.context, workloads.phases, clock, options.scenario ?? 'scenario');
    } catch (error) {
      series?.close();
      cluster.close();
      throw error;
    }
  }
  const adminToken = options.adminToken ?? randomBytes(24).toString('hex');
  const users = options.users ?? [];
  const serviceAccountTokens = createServiceAccountTokens(cluster);
  cluster.addSubresource('serviceaccounts', 'token', serviceAccountTokens.tokenRequestHandler);
  const authenticator = createTokenAuthenticator({ adminToken, users, insecure: options.insecure ?? !options.tls, serviceAccountTokens });
  const authorizer = createRbacAuthorizer(cluster.store, cluster.registry);
  const tls = options.tls ? await createSelfSignedCertificate() : undefined;
  const requestLog = createRequestLog({ limit: options.callLogLimit });
  const webhooks = createValidatingWebhookAdmission(cluster, { credentials: webhookCredentials });
  const policies = createValidatingAdmissionPolicies(cluster);
  // kube-apiserver's order: ValidatingAdmissionPolicy, then ValidatingAdmissionWebhook
  const admit: typeof webhooks = async (attributes) => {
    await policies(attributes);
    await webhooks(attributes);
  };
  const api = createKubeApiServer({ cluster, authenticator, authorizer, admit, tls, debug: options.debug, requestLog });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    api.server.once('error', reject);
    api.server.listen(options.port ?? 0, host, () => {
      api.server.off('error', reject);
      resolve();
    });
  });
  const port = (api.server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const writeKubeconfig = (file: string, kubeconfigOptions: { user?: string; namespace?: string } = {}) => {
    const user = kubeconfigOptions.user && kubeconfigOptions.user !== 'admin' ? users.find((candidate) => candidate.name === kubeconfigOptions.user) : undefined;
    if (kubeconfigOptions.user && kubeconfigOptions.user !== 'admin' && !user) {
      throw new Error(`kube-sim has no user "${kubeconfigOptions.user}"; configured users: ${['admin', ...users.map((candidate) => candidate.name)].join(', ')}`);
    }
    const userName = user?.name ?? 'admin';
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'kube-sim',
      clusters: [{ name: 'kube-sim', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      // Over plain HTTP clients drop the token, so a user's kubeconfig also impersonates that user
      // (impersonation headers are still sent, and the anonymous admin may impersonate anyone).
      users: [{ name: userName, user: { token: user?.token ?? adminToken, ...(user && !tls ? { as: user.name, 'as-groups': user.groups?.length ? user.groups : undefined } : {}) } }],
      contexts: [{ name: 'kube-sim', context: { cluster: 'kube-sim', user: userName, namespace: kubeconfigOptions.namespace ?? 'default' } }],
      preferences: {},
    };
    // A folder this makes (a data dir, as `skyflo sandbox` names) is its owner's alone: the file holds a token.
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, toYaml(config), { mode: 0o600 });
  };
  if (options.kubeconfigPath) writeKubeconfig(options.kubeconfigPath);
  let observability: ObservabilityServer | undefined;
  if (options.observability) {
    if (!workloads) {
      await api.close();
      throw new Error('the Prometheus/Loki API needs the simulated workloads (workloads: false leaves no pods or logs to serve)');
    }
    observability = await startObservabilityServer({ cluster, logs: workloads.context.logs, host, options: options.observability, ...(series ? { source: series } : {}) });
  }

  let closed = false;
  return {
    url,
    port,
    cluster,
    kubeconfigPath: options.kubeconfigPath,
    adminToken,
    calls: requestLog.calls,
    writeKubeconfig,
    ...(observability ? { observability } : {}),
    async close() {
      if (closed) return;
      closed = true;
      await observability?.close();
      cluster.close();
      await api.close();
    },
  };
}
