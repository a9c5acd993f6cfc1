/**
 * Standalone server: `tsx packages/mcp-server/src/main.ts --port 8888` (or `skyflo mcp`).
 * Flags: --port, --host, --read-only, --kubeconfig, --stdio, --auth-token (or MCP_AUTH_TOKEN), --client-token (or
 * MCP_CLIENT_TOKEN), --data-dir (or SKYFLO_DATA_DIR), --helm-allowed-registries (or HELM_ALLOWED_REGISTRIES),
 * --helm-chart-cache-dir (or HELM_CHART_CACHE_DIR), --confirm=elicit|deny|allow (or MCP_CONFIRM), SKYFLO_CLUSTER_LABELS
 * ("context=label,…"), MCP_OAUTH_ISSUER / MCP_OAUTH_AUDIENCE / MCP_OAUTH_REQUIRED_SCOPES (remote clients with access
 * tokens of that authorization server, http/oauth-resource.ts). KUBECONFIG may list several files (':'): every context is a cluster tools can name.
 *
 * Over HTTP every client presents a token (loopback included); with neither token set, a client token is generated
 * once into the data dir (mode 0600) and its path printed. --stdio needs none: only the parent process speaks to it.
 */
import { parseArgs } from 'node:util';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createMcpServer } from './create-mcp-server.ts';
import { createToolDeps } from './create-tool-deps.ts';
import type { ToolDeps } from './deps/deps.ts';
import { startMcpHttpServer } from './start-mcp-http-server.ts';
import { allowModeWarning } from './confirm/confirm-mode.ts';
import { loadServerConfig } from './config/server-config.ts';
import { loadOrCreateClientToken } from './http/client-token.ts';
import { reportClusters } from './kube/report-clusters.ts';

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '8888' },
        host: { type: 'string', default: '127.0.0.1' },
        'read-only': { type: 'boolean', default: false },
        kubeconfig: { type: 'string' },
        stdio: { type: 'boolean', default: false },
        'auth-token': { type: 'string' },
        'client-token': { type: 'string' },
        'data-dir': { type: 'string' },
        // removed: accepted only to say so clearly
        'allow-insecure-remote': { type: 'boolean', default: false },
        'helm-allowed-registries': { type: 'string' },
        'helm-chart-cache-dir': { type: 'string' },
        confirm: { type: 'string' },
        'engine-url': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\nRun with --help for the options.`);
    process.exit(2);
  }
  if (values.help) {
    console.log(
      [
        'Usage: skyflo mcp [--port 8888] [--host 127.0.0.1] [--read-only] [--kubeconfig PATH] [--stdio] [--auth-token TOKEN] [--client-token TOKEN]',
        '                  [--data-dir DIR] [--helm-allowed-registries HOST[,HOST…]] [--helm-chart-cache-dir DIR] [--confirm=elicit|deny|allow|skyflo]',
        '  Over HTTP every client sends "Authorization: Bearer <token>", on 127.0.0.1 too (requests without one get 401):',
        '  --auth-token               the Skyflo engine\'s token (env MCP_AUTH_TOKEN): trusted, its approval gate already asked a human',
        '  --client-token             the token of direct clients such as an IDE (env MCP_CLIENT_TOKEN): their changes go through --confirm.',
        '                             With neither token set, one is generated into <data dir>/mcp-client-token (mode 0600) and its path printed',
        '  --data-dir                 where the generated client token is kept (env SKYFLO_DATA_DIR; default ./.skyflo)',
        '  --stdio                    serve the parent process over stdin/stdout (no token: nobody else can speak to it)',
        '  --confirm                  tools that are not read-only, called by a client other than the Skyflo engine (env MCP_CONFIRM):',
        '                             elicit (default) asks the human through MCP elicitation with the dry-run diff and refuses clients',
        '                             that cannot elicit; deny refuses them; allow runs them with nobody asked; skyflo hands them to the',
        '                             Skyflo engine\'s approval gate (a person approves on the Command Center\'s page, the client gets the result)',
        '  --engine-url               with --confirm=skyflo: the engine (env SKYFLO_ENGINE_URL); env SKYFLO_ENGINE_TOKEN is the API token',
        '                             (chat scope) of the person the calls are proposed for; env MCP_STATE_KEY (32+ characters, the same on',
        '                             every replica) seals the handles clients are given (default: derived from SKYFLO_ENGINE_TOKEN).',
        '                             See docs/mcp-clients.md',
        '  --helm-allowed-registries  OCI registry hosts helm may contact besides the added repositories (env HELM_ALLOWED_REGISTRIES)',
        '  --helm-chart-cache-dir     where chart archives pinned for approval are kept (env HELM_CHART_CACHE_DIR; default ~/.cache/skyflo/helm-charts)',
        '  --kubeconfig               the kubeconfig (default: KUBECONFIG, which may list several files separated by ":", then, in a pod, its',
        '                             service account, then ~/.kube/config). Every context is a cluster tools name with "context"; in a pod',
        '                             the pod\'s own identity is the cluster "in-cluster". Env SKYFLO_CLUSTER_LABELS="prod-eu=prod,dev=dev"',
        '                             labels clusters. Each cluster, and what this server may do there, is printed at start.',
      ].join('\n'),
    );
    return;
  }
  if (values['allow-insecure-remote']) {
    console.error('--allow-insecure-remote was removed: every HTTP client now presents a token. Set --auth-token (the engine) and/or --client-token (direct clients), or let skyflo mcp generate a client token into its data dir.');
    process.exit(2);
  }
  const loaded = loadServerConfig(values, process.env);
  if ('problems' in loaded) {
    for (const problem of loaded.problems) console.error(problem);
    console.error('Run with --help for the options.');
    process.exit(2);
  }
  const { config } = loaded;
  // stderr, so it shows with --stdio too (stdout is the protocol there).
  if (config.confirm === 'allow') console.error(allowModeWarning);
  let deps: ToolDeps;
  try {
    deps = createToolDeps({
      readOnly: config.readOnly,
      clusterLabels: config.clusterLabels,
      ...(config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : {}),
      ...(config.kubectlPath ? { kubectlPath: config.kubectlPath } : {}),
      ...(config.helmPath ? { helmPath: config.helmPath } : {}),
      ...(config.integrationsNamespace ? { integrationsNamespace: config.integrationsNamespace } : {}),
      ...(config.helmAllowedRegistries.length > 0 ? { helmAllowedRegistries: config.helmAllowedRegistries } : {}),
      ...(config.helmChartCacheDir ? { helmChartCacheDir: config.helmChartCacheDir } : {}),
      ...(config.hpaSyncPeriodSeconds !== undefined ? { hpaSyncPeriodSeconds: config.hpaSyncPeriodSeconds } : {}),
      ...(config.dryRunProxyEnv ? { dryRunProxyEnv: config.dryRunProxyEnv } : {}),
      // --stdio: an IDE starts the server for its tools/list, which must not wait for the cluster client library
      // (see create-tool-deps.ts), so the clusters are reported when the first call loads the kubeconfig. stderr:
      // stdout is the protocol there.
      ...(config.stdio ? { onClustersLoaded: () => void reportClusters(deps, (line) => console.error(line)) } : {}),
    });
  } catch (error) {
    console.error(`Could not load the kubeconfig: ${(error as Error).message}`);
    process.exit(1);
  }
  const { confirm, engineApprovals } = config;
  if (config.stdio) {
    // Both protocol eras on one pipe: the client's opening (initialize, or a 2026-07-28 server/discover) pins one
    // server from this factory for the connection's life.
    serveStdio(() => createMcpServer({ deps, confirm, ...(engineApprovals ? { engineApprovals } : {}) }));
    return;
  }
  try {
    const { authToken, oauth } = config;
    let clientToken = config.clientToken?.value;
    let clientTokenNote: string;
    if (config.clientToken) clientTokenNote = `Client token: from ${config.clientToken.from}.`;
    else if (authToken) clientTokenNote = 'Client token: none (only the engine, with MCP_AUTH_TOKEN, can connect; set --client-token to let an IDE in).';
    else {
      const generated = await loadOrCreateClientToken(config.dataDir);
      clientToken = generated.token;
      clientTokenNote = `Client token: ${generated.file} (${generated.created ? 'generated now' : 'kept from an earlier start'}; clients send "Authorization: Bearer <its contents>").`;
    }
    const server = await startMcpHttpServer({ port: config.port, host: config.host, ...(authToken ? { authToken } : {}), ...(clientToken ? { clientToken } : {}), confirm, ...(engineApprovals ? { engineApprovals } : {}), deps, ...(oauth ? { oauth } : {}) });
    console.log(`Skyflo MCP server listening at ${server.url}${deps.settings.readOnly ? ' (read-only)' : ` (changes from direct clients: --confirm=${confirm})`}`);
    console.log(clientTokenNote);
    if (server.resourceMetadataUrl) console.log(`OAuth: access tokens of ${oauth?.issuer} accepted (untrusted clients); metadata at ${server.resourceMetadataUrl}.`);
    // every cluster and what this server may do there; in the background, so a slow cluster delays nothing
    void reportClusters(deps, (line) => console.log(line));
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
