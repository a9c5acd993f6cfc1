/**
 * Sums a V8 .cpuprofile's self time by where the code lives (a package under node_modules, the engine's own source by
 * folder, Node's internals, GC, idle), so a closing note can say which layer the milliseconds per token go to.
 * `--window <fromMs>-<toMs>` keeps only the samples in that slice of the profile (e.g. the measured level, not start-up).
 * Not a test.  npx tsx bench/support/cpuprofile-packages.ts <file.cpuprofile> [count=30] [--window 20000-40000]
 */
import path from 'node:path';
import { readProfileArguments, type ProfileNode } from './cpuprofile-file.ts';

const argv = process.argv.slice(2);
const windowIndex = argv.indexOf('--window');
const [fromMs, toMs] = windowIndex >= 0 ? argv[windowIndex + 1]!.split('-').map(Number) : [0, Infinity];
const positional = windowIndex >= 0 ? [...argv.slice(0, windowIndex), ...argv.slice(windowIndex + 2)] : argv;
const { file, profile, count } = await readProfileArguments(positional, 'npx tsx bench/support/cpuprofile-packages.ts <file.cpuprofile> [count=30] [--window from-to]', 30);
const byNode = new Map(profile.nodes.map((node) => [node.id, node]));

/** The layer a frame belongs to: its npm package, the engine's folder, or a V8/Node pseudo-frame. */
function layerOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : `native ${frame.functionName}`;
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/').slice(0, 2).join('/')}`;
  if (url.startsWith('wasm:')) return 'wasm (PostgreSQL)';
  const modules = url.split('/node_modules/');
  if (modules.length > 1) {
    const parts = modules.at(-1)!.split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const packages = /packages\/([^/]+)\/src\/([^/]+)/.exec(url);
  if (packages) return `skyflo ${packages[1]}/${packages[2]!.replace(/\.ts$/, '')}`;
  return path.relative(process.cwd(), url);
}

const selfByLayer = new Map<string, number>();
let elapsed = 0;
let total = 0;
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0;
  elapsed += delta / 1000;
  if (elapsed < fromMs! || elapsed > toMs!) return;
  const layer = layerOf(byNode.get(id)!.callFrame);
  selfByLayer.set(layer, (selfByLayer.get(layer) ?? 0) + delta);
  total += delta;
});
const idle = selfByLayer.get('(idle)') ?? 0;
console.log(`${path.basename(file)}: ${(total / 1000).toFixed(0)} ms sampled in the window, ${((total - idle) / 1000).toFixed(0)} ms busy (profile is ${elapsed.toFixed(0)} ms long)`);
for (const [layer, micros] of [...selfByLayer].filter(([layer]) => layer !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, count)) {
  console.log(`${(micros / 1000).toFixed(1).padStart(9)} ms ${((100 * micros) / (total - idle || 1)).toFixed(1).padStart(5)}%  ${layer}`);
}
