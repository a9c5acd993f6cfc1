/**
 * Prints the top functions of a V8 .cpuprofile (from `node --cpu-prof`) by self time, with their share of the
 * sampled time, so a bench's closing note can say where the milliseconds went. Not a test.
 *   npx tsx bench/support/cpuprofile-top.ts <file.cpuprofile> [count=25]
 */
import path from 'node:path';
import { readProfileArguments } from './cpuprofile-file.ts';

const { file, profile, count } = await readProfileArguments(process.argv.slice(2), 'npx tsx bench/support/cpuprofile-top.ts <file.cpuprofile> [count=25]', 25);
const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
// self time per node: the time delta before each sample belongs to the sampled node
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
const byFunction = new Map<string, number>();
let total = 0;
for (const [id, micros] of selfMicros) {
  const frame = byNode.get(id)!.callFrame;
  const where = frame.url ? `${frame.url.replace(/^file:\/\//, '').split('/node_modules/').pop()!.replace(process.cwd() + path.sep, '')}:${frame.lineNumber + 1}` : '';
  const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  total += micros;
}
const idle = [...byFunction].filter(([key]) => key.startsWith('(idle)')).reduce((sum, [, micros]) => sum + micros, 0);
console.log(`${path.basename(file)}: ${(total / 1000).toFixed(0)} ms sampled, ${((total - idle) / 1000).toFixed(0)} ms busy`);
for (const [key, micros] of [...byFunction].filter(([key]) => !key.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, count)) {
  console.log(`${(micros / 1000).toFixed(1).padStart(9)} ms ${((100 * micros) / (total - idle || 1)).toFixed(1).padStart(5)}% of busy  ${key}`);
}
