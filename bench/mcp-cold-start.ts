/**
 * Cold start of the standalone MCP server (issue 10): from process start to the answer of `tools/list` over stdio,
 * for the compiled release bundle (packages/cli/dist/skyflo.js, built by scripts/build-release.mjs) and for the
 * checkout's tsx path (packages/cli/bin/skyflo.mjs), with `node -e 0` as the baseline measured in the same run.
 * Goal: <= 400 ms compiled. Prints medians and ratios; not a test.
 *   npx tsx bench/mcp-cold-start.ts [runs=7] [--allow-stale-build]   (the release build must exist: `npm run build`)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { timeMcpToolsList, timeNodeStart } from './support/mcp-tools-list-time.ts';
import { printBenchHeader } from './support/bench-header.ts';
import { shippedBuild } from './support/shipped-build.ts';
import { median } from './support/statistics.ts';

printBenchHeader('mcp-cold-start', 'none (the MCP server keeps no database)');

const runs = Number(process.argv.slice(2).find((argument) => /^\d+$/.test(argument)) ?? 7);
const compiledEntry = path.join(repoRoot, 'packages', 'cli', 'dist', 'skyflo.js');
const tsxEntry = path.join(repoRoot, 'packages', 'cli', 'bin', 'skyflo.mjs');
const scratch = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-mcp-'));
// A kubeconfig naming a cluster nobody listens on: listing tools talks to no cluster, and nothing may leave 127.0.0.1.
const kubeconfig = path.join(scratch, 'kubeconfig');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n');
const env = { PATH: process.env.PATH ?? '', HOME: scratch, KUBECONFIG: kubeconfig };

// the release build as it is: a bench never builds (support/shipped-build.ts says why), it checks the build is this checkout's
console.log(`  ${shippedBuild().describe}`);

const figures = { baseline: [] as number[], compiled: [] as number[], compiledDeny: [] as number[], tsx: [] as number[] };
await timeMcpToolsList([compiledEntry], env); // warm the file-system cache once; the figures are about Node, not the disk
for (let run = 0; run < runs; run += 1) {
  figures.baseline.push(await timeNodeStart());
  figures.compiled.push(await timeMcpToolsList([compiledEntry], env));
  figures.compiledDeny.push(await timeMcpToolsList([compiledEntry], env, ['--confirm=deny']));
  figures.tsx.push(await timeMcpToolsList([tsxEntry], env));
}
rmSync(scratch, { recursive: true, force: true });

const base = median(figures.baseline);
const line = (label: string, values: number[], goalMs?: number) =>
  `${label}: median ${median(values).toFixed(0)} ms  [${values.map((value) => value.toFixed(0)).join(', ')}]  ${(median(values) / base).toFixed(1)}× node -e 0` +
  (goalMs ? `, ${(median(figures.tsx) / median(values)).toFixed(1)}× faster than tsx  goal <= ${goalMs} ms: ${median(values) <= goalMs ? 'met' : 'NOT met'}` : '');
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}; ${runs} runs`);
console.log(line('baseline node -e 0                          ', figures.baseline));
console.log(line('skyflo mcp --stdio → tools/list, compiled    ', figures.compiled, 400));
console.log(line('  the same with --confirm=deny               ', figures.compiledDeny, 400));
console.log(line('skyflo mcp --stdio → tools/list, tsx (checkout)', figures.tsx));
