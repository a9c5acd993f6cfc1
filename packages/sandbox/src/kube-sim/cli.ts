import { parseArgs } from 'node:util';
import { startKubeSim } from './index.ts';
import { parsePort } from '../parse-port.ts';

const usage = `usage: kube-sim [--port <n|0>] [--host 127.0.0.1] [--kubeconfig <file to write>] [--scenario <file|demo>] [--tls] [--insecure] [--debug] [--observability-port <n|0>] [--admission-control-config-file <file>]
  --tls       serve HTTPS (self-signed) and require a bearer token on every request
  --admission-control-config-file  as kube-apiserver's: an AdmissionConfiguration whose ValidatingAdmissionWebhook
              kubeConfigFile gives the bearer token (or basic auth) presented to each webhook host
  --insecure  accept requests without a token as the admin (the default over plain HTTP, see docs/adr/0002)
  --observability-port  also serve a Prometheus query API (/api/v1/query…) and a Loki log query API
              (/loki/api/v1/query_range), the series at /metrics (for a real Prometheus to scrape) and a /graph page
              over the simulated cluster on this port (plain HTTP, 0 picks one);
              KUBE_SIM_OBSERVABILITY_TOKEN=<token> makes it require that bearer token;
              KUBE_SIM_LOKI_TENANT=<tenant> makes Loki multi-tenant (requests must send X-Scope-OrgID)`;

/**
 * Why this is printed: over plain HTTP kubectl and client-go send no credentials at all, so kube-sim has
 * to treat anonymous requests as the admin there (docs/adr/0002). Whoever starts it should know.
 */
const plainHttpNotice = 'plain HTTP: kubectl sends no credentials over HTTP, so anonymous requests act as admin; use --tls for token authentication';

function fail(message: string): never {
  process.stderr.write(`kube-sim: ${message}\n${usage}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      kubeconfig: { type: 'string' },
      scenario: { type: 'string' },
      insecure: { type: 'boolean' },
      tls: { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
      'observability-port': { type: 'string' },
      'admission-control-config-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const parsedPort = parsePort(values.port as string);
const port = typeof parsedPort === 'number' ? parsedPort : fail(parsedPort.error);
const parsedObservabilityPort = values['observability-port'] === undefined ? undefined : parsePort(values['observability-port'] as string);
const observabilityPort = parsedObservabilityPort === undefined || typeof parsedObservabilityPort === 'number' ? parsedObservabilityPort : fail(parsedObservabilityPort.error);
const observabilityToken = process.env.KUBE_SIM_OBSERVABILITY_TOKEN || undefined;
const lokiTenant = process.env.KUBE_SIM_LOKI_TENANT || undefined;

try {
  const sim = await startKubeSim({
    port,
    host: values.host as string,
    kubeconfigPath: values.kubeconfig as string | undefined,
    scenario: values.scenario as string | undefined,
    insecure: values.insecure as boolean | undefined,
    tls: values.tls as boolean,
    debug: (values.debug as boolean) || process.env.KUBE_SIM_DEBUG === '1',
    admissionControlConfigFile: values['admission-control-config-file'] as string | undefined,
    ...(observabilityPort !== undefined ? { observability: { port: observabilityPort, ...(observabilityToken ? { bearerToken: observabilityToken } : {}), ...(lokiTenant ? { lokiTenant } : {}) } } : {}),
  });
  process.stdout.write(`kube-sim listening on ${sim.url}\n`);
  if (sim.observability) process.stdout.write(`prometheus and loki APIs on ${sim.observability.url}\n`);
  const insecure = (values.insecure as boolean | undefined) ?? !values.tls;
  if (!insecure) process.stdout.write('authentication: bearer tokens required; anonymous requests are refused (401)\n');
  else if (values.tls) process.stdout.write('authentication: --insecure: requests without a token act as admin; a wrong token is still refused\n');
  else process.stdout.write(`${plainHttpNotice}\n`);
  if (sim.kubeconfigPath) process.stdout.write(`kubeconfig written to ${sim.kubeconfigPath}\n`);
  else process.stdout.write(`admin token: ${sim.adminToken}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`kube-sim: ${signal} received, shutting down\n`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kube-sim: could not start: ${message}\n`);
  process.exit(1);
}
