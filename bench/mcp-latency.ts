/**
 * MCP latency figures (not a test): `npx tsx bench/mcp-latency.ts`
 * 1. median latency of `k8s_get deployments` through MCP (Streamable HTTP client) vs `kubectl get deployments`
 *    as a subprocess, on the same kube-sim (goal: MCP ≥ 10× faster);
 * 2. median latency of `k8s_describe` (rendered natively) vs `kubectl describe` as a subprocess, for a deployment, a
 *    pod and a node (with an event each, so the event search is part of it) on the same kube-sim, over the two ways
 *    the engine reaches its MCP server:
 *    - in-process (the headline row): `skyflo serve` without MCP_SERVER_URL embeds the MCP server and calls it over
 *      the SDK's in-memory transport; the bench calls through the engine's own tool gateway built that way;
 *    - Streamable HTTP (second row): a separate `skyflo mcp` server reached through MCP_SERVER_URL with the engine token,
 *      as the operator deploys it (engine and MCP server in their own pods; here over loopback).
 *    Both clients list the tools first, as the engine does (the SDK client then checks each result's structuredContent
 *    against the tool's output schema, part of every real call).
 *    The three sides run interleaved, so they meet the same machine load;
 * 3. size (bytes, ≈tokens) and latency of `k8s_get pods -A` on 10,000 pods (goal: ≤ 8k tokens, < 300 ms).
 * `--describe-only` runs part 2 alone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startKubeSim } from '@skyflo/sandbox/kube-sim';
import { kubectlPath, helmPath } from '@skyflo/testkit/tools';
import { createToolDeps, estimateTokens, startMcpHttpServer } from '@skyflo/mcp-server';
import { createToolGateway } from '@skyflo/engine/testing';
import { failBench, printBenchHeader } from './support/bench-header.ts';
import { median } from './support/statistics.ts';

printBenchHeader('mcp-latency', 'none (the MCP server keeps no database)');

const run = promisify(execFile);
const RUNS = 21;
const describeOnly = process.argv.includes('--describe-only');

async function timeIt(runs: number, action: () => Promise<unknown>): Promise<number[]> {
  const timings: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const started = performance.now();
    await action();
    timings.push(performance.now() - started);
  }
  return timings;
}

async function main(): Promise<void> {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-'));
  const kubeconfigPath = path.join(directory, 'kubeconfig');
  // Controllers off: the 10,000 parked pods would keep the simulated kubelet busy and skew both sides.
  const sim = await startKubeSim({ kubeconfigPath, workloads: false });
  const { store, registry } = sim.cluster;
  const deployments = registry.byResource('apps', 'deployments')!;
  for (let index = 0; index < 10; index += 1) {
    store.create(deployments, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `app-${index}`, namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: `app-${index}` } }, template: { metadata: { labels: { app: `app-${index}` } }, spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] } } },
      status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    });
  }
  // every HTTP client presents a token; the bench connects as the engine does
  const server = await startMcpHttpServer({ deps: createToolDeps({ kubeconfigPath, kubectlPath, helmPath }), authToken: 'bench-engine-token' });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: 'Bearer bench-engine-token' } } }));
  // What `skyflo serve` runs by default (no MCP_SERVER_URL): the engine's tool gateway with the MCP server embedded,
  // over the SDK's in-memory transport (engine create-engine.ts → mcp/create-tool-gateway.ts → connectInProcess).
  const embedded = createToolGateway({ embedded: { kubeconfigPath, helmChartCacheDir: path.join(directory, 'helm-charts') } });
  // The engine lists the catalogue before its first call; after a listing the SDK client validates every result.
  if (!(await embedded.listTools()).some((tool) => tool.name === 'k8s_describe')) failBench('the embedded MCP server lists no k8s_describe');
  if (!(await client.listTools()).tools.some((tool) => tool.name === 'k8s_describe')) failBench('the Streamable HTTP MCP server lists no k8s_describe');
  const env = { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') };

  const getViaMcp = () => client.callTool({ name: 'k8s_get', arguments: { resource_type: 'deployments' } });
  const getViaKubectl = () => run(kubectlPath, ['--kubeconfig', kubeconfigPath, 'get', 'deployments'], { env });
  let mcpMedian = NaN;
  let kubectlMedian = NaN;
  if (!describeOnly) {
    // Warm both: discovery caches, connections, JIT.
    await timeIt(10, getViaMcp);
    await timeIt(3, getViaKubectl);
    mcpMedian = median(await timeIt(RUNS, getViaMcp));
    kubectlMedian = median(await timeIt(RUNS, getViaKubectl));
  }
  const ratio = kubectlMedian / mcpMedian;

  // Describe: the MCP tool renders natively from the API; kubectl describe is the subprocess baseline.
  store.create(registry.byResource('', 'pods')!, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'describe-me', namespace: 'default', labels: { app: 'app-0' } },
    spec: { nodeName: 'parked-node', containers: [{ name: 'main', image: 'nginx:1.27', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
    status: { phase: 'Running', podIP: '10.244.0.9', containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'nginx:1.27', state: { running: { startedAt: new Date().toISOString() } } }] },
  });
  if (!store.get(registry.byResource('', 'nodes')!, undefined, 'parked-node')) {
    store.create(registry.byResource('', 'nodes')!, {
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'parked-node', labels: { 'kubernetes.io/hostname': 'parked-node' } },
      spec: {}, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }], capacity: { cpu: '4', memory: '16Gi', pods: '110' }, allocatable: { cpu: '4', memory: '16Gi', pods: '110' }, nodeInfo: { kubeletVersion: 'v1.32.3' } },
    });
  }
  // One event per target: kubectl and the native describe both search for it and print it.
  const events = registry.byResource('', 'events')!;
  for (const [kind, name, namespace, resource] of [['Deployment', 'app-0', 'default', deployments], ['Pod', 'describe-me', 'default', registry.byResource('', 'pods')!], ['Node', 'parked-node', 'default', registry.byResource('', 'nodes')!]] as const) {
    const now = new Date().toISOString();
    // with the object's uid, as controllers record them: kubectl's search (and the native one) match on it
    const uid = (store.get(resource, kind === 'Node' ? undefined : namespace, name) as { metadata?: { uid?: string } } | undefined)?.metadata?.uid;
    store.create(events, {
      apiVersion: 'v1', kind: 'Event', metadata: { name: `${name}.bench`, namespace },
      involvedObject: { kind, name, namespace: kind === 'Node' ? '' : namespace, apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', ...(uid ? { uid } : {}) },
      reason: 'Bench', message: `an event for ${kind} ${name}`, type: 'Normal', source: { component: 'bench' }, firstTimestamp: now, lastTimestamp: now, count: 1,
    });
  }
  const describeTargets = [['deployment', 'app-0'], ['pod', 'describe-me'], ['node', 'parked-node']] as const;
  const describeFigures: Array<{ target: string; inProcess: number; http: number; kubectl: number }> = [];
  for (const [type, name] of describeTargets) {
    const viaEmbedded = async () => {
      const result = await embedded.callTool({ name: 'k8s_describe', args: { resource_type: type, name } });
      if (result.isError) throw new Error(`k8s_describe ${type} ${name} (in-process) failed: ${result.text}`);
      return result.text;
    };
    const viaHttp = async () => {
      const result = await client.callTool({ name: 'k8s_describe', arguments: { resource_type: type, name } });
      const text = (result.content as Array<{ text: string }>)[0].text;
      if (result.isError) throw new Error(`k8s_describe ${type} ${name} (Streamable HTTP) failed: ${text}`);
      return text;
    };
    const viaKubectl = () => run(kubectlPath, ['--kubeconfig', kubeconfigPath, 'describe', type, name], { env });
    // Every side must have done the work measured: the object described, its event found and printed.
    const kind = { deployment: 'Deployment', pod: 'Pod', node: 'Node' }[type];
    const outputs = [['k8s_describe (in-process)', await viaEmbedded()], ['k8s_describe (Streamable HTTP)', await viaHttp()], ['kubectl describe', (await viaKubectl()).stdout]] as const;
    for (const [side, text] of outputs) {
      if (!text.includes(`Name:`) || !text.includes(name) || !text.includes(`an event for ${kind} ${name}`)) failBench(`${side} ${type}/${name} did not print the object and its event:\n${text}`);
    }
    await timeIt(10, viaEmbedded);
    await timeIt(10, viaHttp);
    await timeIt(3, viaKubectl);
    // Interleaved, so all three sides meet the same machine load (this box is shared).
    const inProcess: number[] = [];
    const http: number[] = [];
    const subprocess: number[] = [];
    for (let index = 0; index < RUNS; index += 1) {
      inProcess.push(...(await timeIt(1, viaEmbedded)));
      http.push(...(await timeIt(1, viaHttp)));
      subprocess.push(...(await timeIt(1, viaKubectl)));
    }
    describeFigures.push({ target: `${type}/${name}`, inProcess: median(inProcess), http: median(http), kubectl: median(subprocess) });
  }
  const describeVerdict = (ratio: number) => (ratio >= 10 ? 'PASS' : 'MISS');
  const printDescribe = () => {
    console.log(`  k8s_describe, native (medians, n=${RUNS} each, interleaved; goal: kubectl describe / k8s_describe >= 10x):`);
    for (const figure of describeFigures) {
      const headline = figure.kubectl / figure.inProcess;
      const overHttp = figure.kubectl / figure.http;
      console.log(`    ${figure.target.padEnd(22)} kubectl describe (subprocess) ${figure.kubectl.toFixed(1).padStart(6)} ms`);
      console.log(`      ${'in-process MCP (skyflo serve, sandbox, chat):'.padEnd(46)} ${figure.inProcess.toFixed(1).padStart(6)} ms  ratio ${headline.toFixed(1).padStart(5)}x ${describeVerdict(headline)}`);
      console.log(`      ${'Streamable HTTP MCP (operator installs):'.padEnd(46)} ${figure.http.toFixed(1).padStart(6)} ms  ratio ${overHttp.toFixed(1).padStart(5)}x ${describeVerdict(overHttp)}`);
    }
  };

  if (describeOnly) {
    console.log(`k8s_describe bench (same kube-sim; load average ${loadavg().map((value) => value.toFixed(1)).join(' ')} on ${cpus().length} cores)`);
    printDescribe();
    await embedded.close();
    await client.close();
    await server.close();
    await sim.close();
    rmSync(directory, { recursive: true, force: true });
    return;
  }
  const pods = registry.byResource('', 'pods')!;
  const namespaces = registry.byResource('', 'namespaces')!;
  for (let index = 0; index < 20; index += 1) store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${index}` } });
  const phases = ['Running', 'Running', 'Running', 'Pending', 'Failed'];
  for (let index = 0; index < 10_000; index += 1) {
    store.create(pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `load-${index}`, namespace: `team-${index % 20}` },
      spec: { nodeName: 'parked-node', containers: [{ name: 'main', image: 'nginx:1.27' }] }, status: { phase: phases[index % 5] },
    });
  }
  let text = '';
  const listAll = async () => {
    const result = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'pods', all_namespaces: true } });
    text = (result.content as Array<{ text: string }>)[0].text;
  };
  await listAll();
  const bigMedian = median(await timeIt(7, listAll));
  const bytes = Buffer.byteLength(text);
  const tokens = estimateTokens(text);

  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  console.log(`MCP latency bench (same kube-sim, medians; load average ${loadavg().map((value) => value.toFixed(1)).join(' ')} on ${cpus().length} cores)`);
  console.log(`  k8s_get deployments via MCP (Streamable HTTP): ${mcpMedian.toFixed(1)} ms (n=${RUNS})`);
  console.log(`  kubectl get deployments (subprocess):          ${kubectlMedian.toFixed(1)} ms (n=${RUNS})`);
  console.log(`  ratio kubectl/MCP: ${ratio.toFixed(1)}x  (goal >= 10x) ${verdict(ratio >= 10)}`);
  printDescribe();
  console.log(`  k8s_get pods -A on 10,000 pods: ${bytes} bytes ≈ ${tokens} tokens (goal <= 8000, ${(tokens / 8000 * 100).toFixed(0)}% of it) ${verdict(tokens <= 8000)}`);
  console.log(`                                  ${bigMedian.toFixed(1)} ms median (n=7; goal < 300 ms, ${(bigMedian / 300 * 100).toFixed(0)}% of it) ${verdict(bigMedian < 300)}`);

  await embedded.close();
  await client.close();
  await server.close();
  await sim.close();
  rmSync(directory, { recursive: true, force: true });
}

await main();
