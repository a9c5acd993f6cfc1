/**
 * Read tools as the cluster grows (issue 79 item 6): the shipped `skyflo mcp --stdio` (the release build) against
 * kube-sim holding `size` pods in a namespace of their own, besides the target namespace `shop` (a deployment, its
 * pod, an event). Per size: `k8s_describe` of the pod (its events searched), `k8s_get pods -n shop` (ten pods) and
 * `k8s_get pods -A` (every pod: cut to the output budget). Medians of `--repeat` calls, the MCP server's CPU per call
 * (from /proc), and the fitted growth. Every answer is checked (the pod described with its event; the ten pods
 * listed). Goals: the describe and the namespaced list flat; the list of every pod bounded by its output budget.
 *   npx tsx bench/pods-growth.ts [--sizes 100,1000,10000] [--repeat 30] [--allow-stale-build]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startKubeSim } from '@skyflo/sandbox/kube-sim';
import { failBench, machineLoad, printBenchHeader } from './support/bench-header.ts';
import { growthLine } from './support/growth.ts';
import { shippedBuild } from './support/shipped-build.ts';
import { median } from './support/statistics.ts';
import { statCpuMs } from './support/thread-cpu.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1000,10000' }, repeat: { type: 'string', default: '30' }, 'allow-stale-build': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number).sort((a, b) => a - b);
const repeat = Number(values.repeat);
if (sizes.length < 2 || sizes.some((size) => !Number.isInteger(size) || size < 10)) failBench('--sizes must be two or three whole numbers of pods, e.g. 100,1000,10000');
if (!Number.isInteger(repeat) || repeat < 3) failBench('--repeat must be a whole number, 3 or more');
const build = shippedBuild({ allowStale: values['allow-stale-build'] });
printBenchHeader('pods-growth', 'none (kube-sim keeps its objects in memory; the MCP server keeps no database)');
console.log(`  ${build.describe}; \`skyflo mcp --stdio\` with its defaults (read tools need no confirmation); kube-sim with its controllers off`);

interface Figures {
  describeMs: number;
  describeCpu: number;
  namespacedMs: number;
  namespacedCpu: number;
  everyPodMs: number;
  everyPodCpu: number;
  everyPodBytes: number;
}

type CallResult = { isError?: boolean; content?: Array<{ type: string; text?: string }> };
const textOf = (result: CallResult) => (result.content ?? []).map((part) => part.text ?? '').join('\n');

async function measureSize(size: number): Promise<Figures> {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-pods-'));
  const kubeconfigPath = path.join(directory, 'kubeconfig');
  const sim = await startKubeSim({ kubeconfigPath, workloads: false });
  const transport = new StdioClientTransport({ command: process.execPath, args: [build.entry, 'mcp', '--stdio'], env: { PATH: process.env['PATH'] ?? '', HOME: directory, KUBECONFIG: kubeconfigPath }, stderr: 'ignore' });
  const client = new Client({ name: 'pods-growth', version: '1.0.0' });
  try {
    const { store, registry } = sim.cluster;
    const pods = registry.byResource('', 'pods')!;
    for (const name of ['load', 'shop']) store.create(registry.byResource('', 'namespaces')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (let index = 0; index < size; index += 1) {
      store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `load-${index}`, namespace: 'load', labels: { app: `app-${index % 50}` } }, spec: { nodeName: 'parked-node', containers: [{ name: 'main', image: 'nginx:1.27' }] }, status: { phase: 'Running' } });
    }
    for (let index = 0; index < 10; index += 1) {
      store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${index}`, namespace: 'shop', labels: { app: 'web' } }, spec: { nodeName: 'parked-node', containers: [{ name: 'main', image: 'nginx:1.27' }] }, status: { phase: 'Running' } });
    }
    // with the pod's uid, as the kubelet records it: the describe's event search matches on it
    const uid = (store.get(pods, 'shop', 'web-0') as { metadata?: { uid?: string } } | undefined)?.metadata?.uid;
    const now = new Date().toISOString();
    store.create(registry.byResource('', 'events')!, {
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-0.restart', namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'shop', apiVersion: 'v1', ...(uid ? { uid } : {}) },
      reason: 'BackOff', message: 'Back-off restarting failed container main', type: 'Warning', source: { component: 'kubelet' }, firstTimestamp: now, lastTimestamp: now, count: 3,
    });
    await client.connect(transport);
    const pid = transport.pid;
    if (!pid) throw new Error('the MCP server process has no pid');
    const call = async (name: string, args: Record<string, unknown>, check: (text: string) => boolean) => {
      // twice untimed first: the first call of a tool loads what it needs (the Kubernetes client, the describers)
      for (let round = 0; round < 2; round += 1) await client.callTool({ name, arguments: args });
      const times: number[] = [];
      let bytes = 0;
      const cpuBefore = statCpuMs(`/proc/${pid}/stat`);
      for (let round = 0; round < repeat; round += 1) {
        const started = performance.now();
        const result = (await client.callTool({ name, arguments: args })) as CallResult;
        times.push(performance.now() - started);
        const text = textOf(result);
        if (result.isError || !check(text)) throw new Error(`${name} ${JSON.stringify(args)} at ${size} pods answered: ${text.slice(0, 300)}`);
        bytes = Buffer.byteLength(text);
      }
      return { ms: median(times), cpu: (statCpuMs(`/proc/${pid}/stat`) - cpuBefore) / repeat, bytes };
    };
    const describe = await call('k8s_describe', { resource_type: 'pod', name: 'web-0', namespace: 'shop' }, (text) => text.includes('web-0') && text.includes('Back-off restarting'));
    const namespaced = await call('k8s_get', { resource_type: 'pods', namespace: 'shop' }, (text) => Array.from({ length: 10 }, (_, index) => `web-${index}`).every((name) => text.includes(name)));
    const everyPod = await call('k8s_get', { resource_type: 'pods', all_namespaces: true }, (text) => text.includes('load-'));
    const figures = { describeMs: describe.ms, describeCpu: describe.cpu, namespacedMs: namespaced.ms, namespacedCpu: namespaced.cpu, everyPodMs: everyPod.ms, everyPodCpu: everyPod.cpu, everyPodBytes: everyPod.bytes };
    console.log(
      `    ${size.toLocaleString('en-US')} pods: k8s_describe pod ${figures.describeMs.toFixed(1)} ms (MCP server CPU ${figures.describeCpu.toFixed(1)}), k8s_get pods -n shop ${figures.namespacedMs.toFixed(1)} ms (${figures.namespacedCpu.toFixed(1)}), ` +
        `k8s_get pods -A ${figures.everyPodMs.toFixed(1)} ms (${figures.everyPodCpu.toFixed(1)}; ${(figures.everyPodBytes / 1024).toFixed(1)} KiB answered); ${machineLoad()}`,
    );
    return figures;
  } finally {
    await client.close().catch(() => undefined);
    await sim.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

try {
  const measured: Array<{ size: number; figures: Figures }> = [];
  for (const size of sizes) measured.push({ size, figures: await measureSize(size) });
  const points = (pick: (figures: Figures) => number) => measured.map((entry) => ({ size: entry.size, value: pick(entry.figures) }));
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const flat = { maxRatio: 2, why: 'one object, or one namespace, whatever the cluster holds' };
  const rows = [
    growthLine('k8s_describe pod, MCP server CPU', points((f) => f.describeCpu), ms, flat),
    growthLine('k8s_describe pod, median answer', points((f) => f.describeMs), ms),
    growthLine('k8s_get pods -n shop, MCP server CPU', points((f) => f.namespacedCpu), ms, flat),
    growthLine('k8s_get pods -A, MCP server CPU', points((f) => f.everyPodCpu), ms),
    growthLine('k8s_get pods -A, bytes answered', points((f) => f.everyPodBytes), (bytes) => `${(bytes / 1024).toFixed(1)} KiB`, { maxRatio: 1.5, why: 'cut to the output budget' }),
  ];
  console.log(`  growth; ${machineLoad()}`);
  for (const row of rows) console.log(row.line);
  console.log(`  ${rows.every((row) => row.met) ? 'every goal met' : 'a goal was NOT met (see above)'}; ${machineLoad()}`);
} catch (error) {
  failBench(error instanceof Error ? error.message : String(error));
}
