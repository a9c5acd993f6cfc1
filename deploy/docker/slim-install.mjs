// Slims the installed CLI in the image build (build stage only): `node slim-install.mjs <installed package dir>`.
//  1. One copy of each dependency: the release bundle (scripts/build-release.mjs) inlines pure-JavaScript packages
//     (fastify, jose, yaml, diff, …) into dist/, yet npm still installs them from the CLI's dependencies. A declared
//     dependency is kept when dist/ imports or requires it, then everything it depends on (dependencies, optional and
//     peer ones, by Node's resolution); installed packages nothing reaches are removed.
//  2. No source maps and no type declarations: Node reads neither at run time (no --enable-source-maps in the image).
// Prints what it removed and the sizes before and after. Exits non-zero if dist/ is missing.
// (Exact-pinned different versions, such as the @ai-sdk providers' own provider-utils, stay: Node needs each.)
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const packageDir = path.resolve(process.argv[2] ?? '.');
const distDir = path.join(packageDir, 'dist');
if (!existsSync(distDir)) {
  console.error(`${distDir} is missing: pass the installed @skyflo/cli directory`);
  process.exit(1);
}

function* files(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

function sizeOf(directory) {
  let total = 0;
  for (const file of files(directory)) total += lstatSync(file).size;
  return total;
}

const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const before = sizeOf(packageDir);

// ---- 1. the dependencies dist/ uses, and theirs ----
const distText = [...files(distDir)].filter((file) => /\.(m?js|cjs)$/.test(file)).map((file) => readFileSync(file, 'utf8')).join('\n');
// Bare specifiers dist/ imports or requires (the bundle's externals). Noise (a quoted word after "from" in a string)
// only adds names, which then resolve to nothing or keep a package: it can keep too much, never too little.
const imported = new Set(
  [...distText.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s*)["'`]([^"'`./][^"'`]*)["'`]/g)].map(([, specifier]) =>
    specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0],
  ),
);
const named = (name) => imported.has(name);
const manifest = (directory) => JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8'));

/** Node's lookup of a bare package name from a package directory: its node_modules, then each parent's. */
function resolveFrom(directory, name) {
  for (let current = directory; ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (current === path.dirname(current)) return undefined;
  }
}

const reached = new Set();
const queue = Object.keys(manifest(packageDir).dependencies ?? {})
  .filter(named)
  .map((name) => resolveFrom(packageDir, name))
  .filter(Boolean);
while (queue.length > 0) {
  const directory = path.resolve(queue.pop());
  if (reached.has(directory)) continue;
  reached.add(directory);
  const { dependencies = {}, optionalDependencies = {}, peerDependencies = {} } = manifest(directory);
  for (const name of new Set([...Object.keys(dependencies), ...Object.keys(optionalDependencies), ...Object.keys(peerDependencies)])) {
    const found = resolveFrom(directory, name);
    if (found) queue.push(found);
  }
}

/** Every installed package directory (scoped ones and nested node_modules included). */
function* installedPackages(nodeModules) {
  if (!existsSync(nodeModules)) return;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const full = path.join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      for (const scoped of readdirSync(full, { withFileTypes: true })) {
        if (scoped.isDirectory()) yield* packageAndNested(path.join(full, scoped.name));
      }
    } else yield* packageAndNested(full);
  }
}
function* packageAndNested(directory) {
  if (existsSync(path.join(directory, 'package.json'))) yield directory;
  yield* installedPackages(path.join(directory, 'node_modules'));
}

const removed = [];
for (const directory of [...installedPackages(path.join(packageDir, 'node_modules'))]) {
  if (reached.has(directory) || !existsSync(directory)) continue;
  // a nested package inside a kept one is still checked on its own (it may be unused while its parent is used)
  const { name, version } = manifest(directory);
  removed.push(`${name}@${version}`);
  rmSync(directory, { recursive: true, force: true });
}

// ---- 2. source maps and type declarations ----
let strippedFiles = 0;
for (const file of [...files(packageDir)]) {
  // *.js.map and the like only: PGlite's template has PostgreSQL files named pg_filenode.map, which it needs
  if (/\.(js|mjs|cjs|css)\.map$|\.d\.(ts|mts|cts)$|\.d\.[mc]?ts\.map$/.test(file)) {
    rmSync(file);
    strippedFiles++;
  }
}

const after = sizeOf(packageDir);
console.log(`slim-install: removed ${removed.length} packages dist/ does not use (${removed.join(', ') || 'none'})`);
console.log(`slim-install: removed ${strippedFiles} source maps and type declarations`);
console.log(`slim-install: ${megabytes(before)} → ${megabytes(after)} (${path.relative('/', packageDir)})`);
