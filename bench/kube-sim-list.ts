/**
 * kube-sim list figures (not a test): `npx tsx bench/kube-sim-list.ts`
 * Lists 10,000 pods (written straight into the store, bound to a node no simulated kubelet runs) as JSON and
 * as a kubectl Table, with the simulated workloads off and on, and prints on/off as a ratio. The first
 * request after the writes is timed separately: it used to wait 30 s for the controllers' backlog.
 */
import { startKubeSim } from '@skyflo/sandbox/kube-sim';
import { printBenchHeader } from './support/bench-header.ts';
import { median } from './support/statistics.ts';

printBenchHeader('kube-sim-list', 'none (kube-sim keeps its objects in memory)');

const POD_COUNT = 10_000;
const RUNS = 7;
const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

async function timed(url: string, accept?: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, accept ? { headers: { Accept: accept } } : undefined);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return performance.now() - started;
}

async function measure(workloads: boolean): Promise<{ first: number; json: number; table: number }> {
  const sim = await startKubeSim({ workloads });
  try {
    const pods = sim.cluster.registry.byResource('', 'pods')!;
    for (let index = 0; index < POD_COUNT; index++) {
      sim.cluster.store.create(pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `load-${index}`, namespace: 'default', labels: { app: `app-${index % 50}` } },
        spec: { nodeName: 'parked-node', containers: [{ name: 'main', image: 'nginx:1.27' }] },
        status: { phase: 'Running' },
      });
    }
    const first = await timed(`${sim.url}/api/v1/pods?limit=500`);
    const json: number[] = [];
    const table: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      json.push(await timed(`${sim.url}/api/v1/pods`));
      table.push(await timed(`${sim.url}/api/v1/pods`, tableAccept));
    }
    return { first, json: median(json), table: median(table) };
  } finally {
    await sim.close();
  }
}

const off = await measure(false);
const on = await measure(true);
const format = (value: number) => `${value.toFixed(0)} ms`;
const ratio = (left: number, right: number) => `${(left / right).toFixed(2)}×`;
console.log(`kube-sim list of ${POD_COUNT} pods (median of ${RUNS}), workloads off → on:`);
console.log(`  first page (limit=500) after the writes: ${format(off.first)} → ${format(on.first)} (${ratio(on.first, off.first)})`);
console.log(`  full list, JSON:  ${format(off.json)} → ${format(on.json)} (${ratio(on.json, off.json)})`);
console.log(`  full list, Table: ${format(off.table)} → ${format(on.table)} (${ratio(on.table, off.table)})`);
