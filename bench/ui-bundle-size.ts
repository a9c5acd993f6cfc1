/**
 * Initial load of the Command Center's chat route: the JS and CSS index.html makes the browser fetch before the
 * page can render (entry script, its modulepreloads, stylesheets), as transferred compressed (the engine serves the
 * build's precompressed .br/.gz files). Lazily loaded chunks (diff viewer, highlighting, protocol validation,
 * settings pages) are listed apart. Target: ≤ 250 KB gzip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { printBenchHeader } from './support/bench-header.ts';

printBenchHeader('ui-bundle-size', 'none (reads the UI build)');

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-bench-'));
execFileSync(process.execPath, [path.join(repoRoot, 'packages', 'ui', 'scripts', 'build-ui.mjs'), '--out-dir', outDir], { stdio: 'inherit' });

const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1].slice(1));
const compressed = (file: string, encoding: 'gz' | 'br') => {
  const full = path.join(outDir, file);
  return existsSync(`${full}.${encoding}`) ? statSync(`${full}.${encoding}`).size : gzipSync(readFileSync(full)).length;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

let gzipTotal = 0;
let brTotal = 0;
let rawTotal = 0;
console.log('Initial load of /chat/:id (index.html → entry, preloads, stylesheets):');
for (const file of initial) {
  const raw = statSync(path.join(outDir, file)).size;
  const gz = compressed(file, 'gz');
  const br = compressed(file, 'br');
  rawTotal += raw;
  gzipTotal += gz;
  brTotal += br;
  console.log(`  ${file.padEnd(40)} ${kb(raw).padStart(10)} raw  ${kb(gz).padStart(9)} gzip  ${kb(br).padStart(9)} br`);
}
console.log(`  total: ${kb(rawTotal)} raw, ${kb(gzipTotal)} gzip, ${kb(brTotal)} brotli — target ≤ 250 KB gzip: ${gzipTotal <= 250 * 1024 ? 'met' : 'NOT met'} (${((gzipTotal / (250 * 1024)) * 100).toFixed(0)}% of budget)`);

const lazy = readdirSync(path.join(outDir, 'assets')).filter((name) => /\.(js|css)$/.test(name) && !initial.includes(`assets/${name}`));
console.log('Loaded on demand:');
for (const name of lazy.sort()) console.log(`  assets/${name.padEnd(33)} ${kb(compressed(`assets/${name}`, 'gz')).padStart(9)} gzip`);
