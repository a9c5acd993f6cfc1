/**
 * Standalone server: `tsx packages/mcp-server/src/main.ts --port 8888` (or `skyflo mcp`).
 * Flags: --port, --host, --read-only, --kubeconfig, --stdio, --auth-token (or MCP_AUTH_TOKEN),
 * --allow-insecure-remote. This is the only place in the package that reads process.env/argv.
 */
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from './create-mcp-server.ts';
import { createToolDeps } from './create-tool-deps.ts';
import { startMcpHttpServer } from './http/start-mcp-http-server.ts';

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
        'allow-insecure-remote': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\nRun with --help for the options.`);
    process.exit(2);
  }
  if (values.help) {
    console.log('Usage: skyflo mcp [--port 8888] [--host 127.0.0.1] [--read-only] [--kubeconfig PATH] [--stdio] [--auth-token TOKEN] [--allow-insecure-remote]');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`--port must be a number between 0 and 65535, got "${values.port}".`);
    process.exit(2);
  }
  const settings = {
    kubeconfigPath: values.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0],
    readOnly: values['read-only'],
    ...(process.env.KUBECTL_PATH ? { kubectlPath: process.env.KUBECTL_PATH } : {}),
    ...(process.env.HELM_PATH ? { helmPath: process.env.HELM_PATH } : {}),
    ...(process.env.INTEGRATIONS_SECRET_NAMESPACE ? { integrationsNamespace: process.env.INTEGRATIONS_SECRET_NAMESPACE } : {}),
  };
  let deps;
  try {
    deps = createToolDeps(settings);
  } catch (error) {
    console.error(`Could not load the kubeconfig: ${(error as Error).message}`);
    process.exit(1);
  }
  if (values.stdio) {
    const server = createMcpServer({ deps });
    await server.connect(new StdioServerTransport());
    return;
  }
  try {
    const server = await startMcpHttpServer({
      port,
      host: values.host,
      authToken: values['auth-token'] ?? process.env.MCP_AUTH_TOKEN,
      allowInsecureRemote: values['allow-insecure-remote'],
      deps,
    });
    console.log(`Skyflo MCP server listening at ${server.url}${deps.settings.readOnly ? ' (read-only)' : ''}`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
