/**
 * The `skyflo` command.
 *   skyflo serve   [--port 8080] [--host 127.0.0.1]   engine + embedded MCP server + UI, on your kubeconfig
 *   skyflo sandbox [--port 8080] [--host 127.0.0.1] [--clusters 2] [--scenario incidents]   the same against kube-sim's simulated demo cluster(s)
 *   skyflo mcp     [--port 8888] [--confirm=elicit|deny|allow|skyflo] [...]   the MCP server alone (see `skyflo mcp --help`)
 *   skyflo chat    [--url …] [-p "question"] [...]     the terminal client (see `skyflo chat --help`)
 *   skyflo stop-all --reason <text> | --lift [--url …]   the emergency stop (issue 76; see `skyflo stop-all --help`)
 *   skyflo executor [...]   per-approval credentials + admission webhook, in its own pod (see `skyflo executor --help`)
 * Heavy pieces (kube-sim, the MCP server's CLI) are imported only by the command that needs them.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '@skyflo/engine';
import cliPackage from '../package.json' with { type: 'json' };
import { exitWithParent } from './exit-with-parent.ts';
import { nodeVersionProblem } from './node-version.ts';

export const usage = `Usage: skyflo <command> [options]

Commands:
  serve     Run the engine, the MCP server (embedded unless MCP_SERVER_URL) and the UI, using your current kubeconfig
  sandbox   Like serve, against a simulated demo cluster (kube-sim): nothing real is touched
  mcp       Run only the MCP server; direct clients' changes are confirmed through MCP elicitation, or approved
            in Skyflo (--confirm=elicit|deny|allow|skyflo; skyflo mcp --help for its options)
  chat      Talk to a running engine from the terminal, or run one benchmark prompt (skyflo chat --help)
  stop-all  Engage the engine's emergency stop (admin): nothing is approved or changed until --lift (skyflo stop-all --help)
  schedule  Scheduled checks on a running engine: list, add, run, runs, delete (skyflo schedule --help)
  operator  Run the SkyfloAI Kubernetes operator (skyflo operator --help for its options)
  executor  Run the approval executor: per-approval credentials and the admission webhook (skyflo executor --help)

Options for serve and sandbox:
  --port <n>    port to listen on (default: PORT or 8080; 0 picks a free one)
  --host <ip>   interface to bind (default: HOST or 127.0.0.1)
  --exit-with-parent   stop when the process that started this one ends (npm start and npm run sandbox pass it)
  --scenario incidents  (sandbox) incidents that show only in metrics and logs instead of the demo
  --clusters 2  (sandbox) two simulated clusters with different apps, contexts sandbox-a (current) and sandbox-b
  -h, --help    show this help

  skyflo --version     print the version

Configuration comes from environment variables (LLM_MODEL, OPENAI_API_KEY, POSTGRES_DATABASE_URL, REDIS_URL,
SKYFLO_DATA_DIR, ...); an invalid value stops start-up with a message naming the variable.
`;

function fail(message: string): never {
  process.stderr.write(`skyflo: ${message}\n\n${usage}`);
  process.exit(2);
}

function parseServeFlags(argv: string[]): { port?: number; host?: string; exitWithParent?: boolean } {
  let values: { port?: string; host?: string; help?: boolean; 'exit-with-parent'?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' }, 'exit-with-parent': { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65_535) fail(`--port must be a number between 0 and 65535, got "${values.port}"`);
  }
  return { ...(port !== undefined ? { port } : {}), ...(values.host ? { host: values.host } : {}), ...(values['exit-with-parent'] ? { exitWithParent: true } : {}) };
}

function withFlags({ port, host }: { port?: number; host?: string }) {
  const server = { ...(port !== undefined ? { port } : {}), ...(host ? { host } : {}) };
  return (config: Config): Config => ({ ...config, server: { ...config.server, ...server } });
}

/**
 * --exit-with-parent: a SIGTERM to ourselves runs the same clean shutdown as one from outside. Watched from the
 * start, so a parent that dies while the engine is still starting counts too (the signal then ends the process).
 */
function stopWithParent(enabled: boolean | undefined): void {
  if (!enabled) return;
  exitWithParent({
    parentPid: () => process.ppid,
    onParentGone: (parent) => {
      process.stderr.write(`skyflo: the process that started this one (pid ${parent}) has ended; stopping\n`);
      process.kill(process.pid, 'SIGTERM');
    },
  });
}

async function serve(argv: string[]): Promise<void> {
  const flags = parseServeFlags(argv);
  stopWithParent(flags.exitWithParent);
  const { runServer } = await import('@skyflo/engine/run-server');
  await runServer({ adjust: withFlags(flags) });
}

/** Takes `--name value` and `--name=value` flags out of argv: their values and the rest. */
function takeFlags(argv: string[], names: string[]): { values: Record<string, string>; rest: string[] } {
  const values: Record<string, string> = {};
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    const name = names.find((candidate) => arg === candidate || arg.startsWith(`${candidate}=`));
    if (!name) rest.push(arg);
    else if (arg.includes('=')) values[name] = arg.slice(name.length + 1);
    else values[name] = argv[++index] ?? '';
  }
  return { values, rest };
}

async function sandbox(argv: string[]): Promise<void> {
  const { parseClusterCount, parseSandboxScenario, provisionSandboxDataSources, sandboxClusterLines, sandboxScenarios, startSandboxClusters } = await import('./sandbox-clusters.ts');
  // --clusters and --scenario are the sandbox's own flags; the rest are serve's
  const own = takeFlags(argv, ['--clusters', '--scenario']);
  const count = parseClusterCount(own.values['--clusters']);
  if (typeof count === 'string') fail(count);
  const scenario = parseSandboxScenario(own.values['--scenario']);
  if (typeof scenario !== 'string') fail(scenario.error);
  const flags = parseServeFlags(own.rest);
  stopWithParent(flags.exitWithParent);
  const dataDir = path.resolve(process.env.SKYFLO_DATA_DIR || './.skyflo');
  const kubeconfigPath = path.join(dataDir, 'sandbox.kubeconfig');
  const { sandboxIdentities, startSandboxApprovals } = await import('./sandbox-approvals.ts');
  const identities = sandboxIdentities();
  // Enforced approvals (issue 34): the executor in this process; without it, say so and keep the engine's own gate.
  const engineOnly = (error: Error) => ({
    env: {} as Record<string, string>,
    lines: [`  approvals: enforced by the engine only (the executor did not start: ${error.message})`],
    close: async () => {},
  });
  // HTTPS, so each identity's token is sent (over plain HTTP kubectl sends none and everyone acts as the admin);
  // kube-sim makes its certificate with openssl: without it, plain HTTP and the engine's gate only
  const secured = await startSandboxClusters({ count, kubeconfigPath, scenario, users: identities.users, tls: true, webhookToken: identities.admissionToken }).then(
    (clusters) => ({ clusters, error: undefined }),
    (error: Error) => ({ clusters: undefined, error }),
  );
  const sims = secured.clusters ?? (await startSandboxClusters({ count, kubeconfigPath, scenario }));
  const approvals = secured.error ? engineOnly(secured.error) : await startSandboxApprovals(sims, identities, dataDir, process.env['HELM_PATH'] ? { helmPath: process.env['HELM_PATH'] } : {}).catch(engineOnly);
  // no model key: the labelled demo model, so a newcomer can click through an incident first (issue 80 item 7)
  const { startDemoModel } = await import('./sandbox-demo-model.ts');
  const model = await startDemoModel(process.env);
  const { runServer } = await import('@skyflo/engine/run-server');
  // the sandbox's own runbooks (one per demo incident) unless the user points at theirs
  const { sandboxRunbooksDir } = await import('@skyflo/sandbox/kube-sim');
  // The sandbox must never reach a real cluster, so its kubeconfig replaces KUBECONFIG and a remote MCP server.
  const { engine, url } = await runServer({
    env: { ...process.env, SKYFLO_DATA_DIR: dataDir, KUBECONFIG: kubeconfigPath, MCP_SERVER_URL: '', ...approvals.env, ...model.env, RUNBOOKS_DIR: process.env['RUNBOOKS_DIR'] || sandboxRunbooksDir },
    adjust: withFlags(flags),
    handleSignals: false,
  });
  // A data dir kept from an earlier sandbox already has its admin: registering is closed there, so say sign in.
  const firstUserPending = await engine.accounts.isFirstUserPending();
  const dataSourceLines = await provisionSandboxDataSources(sims, engine.integrations).catch((error: Error) => [`  prometheus and loki: not wired up (${error.message})`]);
  process.stdout.write(
    [
      '',
      `Skyflo sandbox is running at ${url}`,
      ...sandboxClusterLines(sims),
      ...dataSourceLines,
      `  kubectl against it: kubectl --kubeconfig ${kubeconfigPath} get pods -A${count > 1 ? ` (--context ${sims.clusters[1]!.name} for the other one)` : ''}`,
      ...approvals.lines,
      ...model.lines,
      firstUserPending
        ? '  open the URL, register the first user (it becomes admin) and ask e.g.'
        : `  open the URL, sign in with your account (${dataDir} already has users; SKYFLO_DATA_DIR=<a new folder> starts afresh) and ask e.g.`,
      ...sandboxScenarios[scenario]!.map((question) => `    ${question}`),
      ...(count > 1 ? [`    "why does reports in analytics keep restarting?" (in ${sims.clusters[1]!.name})`] : []),
      '  Ctrl-C stops both.',
      '',
    ].join('\n'),
  );
  const stop = () => {
    engine
      .close()
      .then(() => approvals.close())
      .then(() => model.close())
      .then(() => sims.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function mcp(argv: string[]): Promise<void> {
  // A literal specifier, so the release bundle (scripts/build-release.mjs) can inline it.
  const module = (await import('@skyflo/mcp-server/main')) as { main(argv: string[]): Promise<void> };
  await module.main(argv);
}

async function chat(argv: string[]): Promise<void> {
  const module = await import('./chat/chat-command.ts');
  await module.chat(argv);
}

async function schedule(argv: string[]): Promise<void> {
  const module = await import('./schedule/schedule-command.ts');
  process.exitCode = await module.schedule(argv);
}

async function operator(argv: string[]): Promise<void> {
  const { main } = await import('@skyflo/operator');
  await main(argv);
}

async function executor(argv: string[]): Promise<void> {
  const { executorMain } = await import('@skyflo/operator');
  await executorMain(argv);
}

export async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'sandbox':
      return sandbox(rest);
    case 'mcp':
      return mcp(rest);
    case 'chat':
      return chat(rest);
    case 'stop-all': {
      const { stopAll } = await import('./stop-all.ts');
      process.exitCode = await stopAll(rest, { env: process.env, stdout: process.stdout, stderr: process.stderr });
      return;
    }
    case 'schedule':
      return schedule(rest);
    case 'operator':
      return operator(rest);
    case 'executor':
      return executor(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(usage);
      return;
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`skyflo ${cliPackage.version}\n`);
      return;
    default:
      fail(`unknown command "${command}"`);
  }
}

// Before anything heavy loads: an older Node.js fails later with ERR_REQUIRE_ESM from deep inside a dependency.
const nodeProblem = nodeVersionProblem(process.versions.node);
if (nodeProblem) {
  process.stderr.write(`${nodeProblem}\n`);
  process.exit(1);
}
await run(process.argv.slice(2));
