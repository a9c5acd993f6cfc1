// Compiles the `skyflo` command into packages/cli/dist with esbuild: the workspace packages (@skyflo/*) are inlined,
// every other dependency stays external (installed from the npm registry next to the CLI), and the files the code
// reads at run time are copied beside the bundle. Development keeps running the TypeScript sources through tsx.
//
// Why the `import.meta.url` rewrite: the sources find their files relative to themselves (the engine's drizzle
// migrations at '../../drizzle', the PGlite template at '<repo>/.tools/pglite-template', the UI at
// '<repo>/packages/ui/dist', kube-sim's demo scenario...). In the bundle every module would share the URL of its
// output file, so each inlined module instead sees a URL that mirrors its place in the repository under
// dist/assets/, and the build copies those files to the same mirrored places. The sources stay unchanged and
// both layouts resolve the same relative paths.
//
//   node scripts/build-release.mjs     (also run by `npm pack` of packages/cli, through its prepack script)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = path.join(root, 'packages', 'cli');
/**
 * `--out-dir <dir>`: somewhere else than packages/cli/dist (the test run's own build, testkit/services/skyflo-command.ts),
 * so a build never replaces the one a benchmark is running. Inside packages/cli, where the bundle's external
 * dependencies resolve from the same node_modules as from dist/.
 */
const outDirOption = process.argv.indexOf('--out-dir');
const outDir = outDirOption === -1 ? path.join(cliDir, 'dist') : path.resolve(process.argv[outDirOption + 1] ?? '');
if (outDirOption !== -1 && (!process.argv[outDirOption + 1] || !outDir.startsWith(cliDir + path.sep))) {
  console.error(`[build-release] --out-dir must name a directory inside ${path.relative(process.cwd(), cliDir) || '.'} (the bundle's dependencies are resolved from there), not ${process.argv[outDirOption + 1] ?? 'nothing'}`);
  process.exit(2);
}
const assetsDir = path.join(outDir, 'assets');

// The Command Center ships in every release, built fresh from its sources (a dev build in packages/ui/dist may be
// stale), into a directory of its own.
const uiBuild = mkdtempSync(path.join(tmpdir(), 'skyflo-release-ui-'));
const uiResult = spawnSync(process.execPath, [path.join(root, 'packages/ui/scripts/build-ui.mjs'), '--out-dir', uiBuild], { stdio: 'inherit' });
if (uiResult.status !== 0) {
  console.error('[build-release] building the Command Center UI failed (see above)');
  process.exit(1);
}

/**
 * Files read at run time, relative to the repository root (mirrored under dist/assets); `source` when they are built
 * elsewhere. Without the (optional) PGlite template a first start initialises the database itself (slower).
 */
const assets = [
  { from: 'packages/engine/drizzle' },
  { from: 'packages/sandbox/src/kube-sim/scenarios/demo.yaml' },
  { from: 'packages/sandbox/src/kube-sim/scenarios/demo-b.yaml' },
  { from: 'packages/sandbox/src/kube-sim/scenarios/incidents.yaml' },
  // the runbooks `skyflo sandbox` serves when RUNBOOKS_DIR is unset (issue 80 item 7)
  { from: 'packages/sandbox/src/kube-sim/scenarios/runbooks' },
  { from: 'packages/sandbox/src/kube-sim/protobuf/proto-schema.json' },
  // `skyflo sandbox` installs these CRDs into its simulated clusters (packages/cli/src/sandbox-approvals.ts)
  { from: 'deploy/helm/skyflo/crds/skyfloapprovals.skyflo.ai.yaml' },
  { from: 'deploy/helm/skyflo/crds/skyfloapproverkeys.skyflo.ai.yaml' },
  { from: 'deploy/helm/skyflo/crds/skyflopolicies.skyflo.ai.yaml' },
  { from: 'deploy/helm/skyflo/crds/skyflofreezes.skyflo.ai.yaml' },
  { from: '.tools/pglite-template', optional: true },
  { from: 'packages/ui/dist', source: uiBuild },
];

const cliManifest = JSON.parse(readFileSync(path.join(cliDir, 'package.json'), 'utf8'));
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

/** The package name of a bare import: 'a/b' → 'a', '@s/a/b' → '@s/a'. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Pure-JavaScript dependencies inlined as well, with what they import (but see below). Why: Node loads an external
 * ES module package file by file; the MCP SDK alone (v1: ~150 ms) is a large part of that at every `skyflo mcp` start, and answering
 * tools/list within 400 ms needs it inlined. pino too: the logger `skyflo serve` creates first (28 CommonJS files read
 * and compiled one by one at every start; its worker transports are never used). Everything else stays an ordinary
 * dependency.
 */
const inlined = new Set(['@modelcontextprotocol/server', '@modelcontextprotocol/client', '@modelcontextprotocol/core', '@modelcontextprotocol/node', 'zod', 'yaml', 'diff', 'drizzle-orm', 'jose', 'fastify', '@fastify/swagger', '@fastify/rate-limit', '@fastify/cookie', '@fastify/formbody', 'prom-client', 'pino']);
/**
 * Never inlined, even when an inlined package imports them: packages with native addons, WebAssembly or data files,
 * and ones loaded lazily on purpose (@kubernetes/client-node). zod is inlined too (the MCP SDK loads three of its
 * entry points): our schemas never cross into the external packages, which get JSON Schema (see the engine's
 * tool-exposure.ts); @langchain/langgraph's own zod peer is installed from the CLI's dependencies. `cookie` too:
 * @fastify/cookie loads it with a dynamic import() of a CommonJS package, whose named exports (stringifySetCookie,
 * parseCookie) only Node's own loader provides; inlined, esbuild's chunk exported only a default, and every sign-in
 * of the compiled release answered 500 ("cookieModule.stringifySetCookie is not a function").
 */
const alwaysExternal = new Set(['@kubernetes/client-node', '@electric-sql/pglite', 'argon2', 'pg', 'cookie']);

const externals = new Map();

/** Workspace packages are inlined; everything else is a dependency the installed CLI resolves from node_modules. */
const externalDependencies = {
  name: 'external-dependencies',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (builtins.has(args.path)) return { path: args.path, external: true };
      const name = packageName(args.path);
      if (name.startsWith('@skyflo/')) return undefined;
      const fromInlinedPackage = args.importer.includes(`${path.sep}node_modules${path.sep}`);
      if (!alwaysExternal.has(name) && (inlined.has(name) || fromInlinedPackage)) return undefined;
      if (!externals.has(name)) externals.set(name, args.importer);
      return { path: args.path, external: true };
    });
  },
};

/**
 * drizzle-orm/pglite, inlined into the engine's bundle, imports @electric-sql/pglite for two things: PostgreSQL's
 * type OIDs (its session passes dates and intervals through as PostgreSQL wrote them) and a PGlite to create when it
 * is handed a connection string, which the engine never does (its database runs PGlite on a thread of its own,
 * storage/pglite-thread; tests on one thread hand it an instance). Importing the package on the engine's thread for
 * that compiles PGlite's ~0.5 MB Emscripten runtime there at every start without ever running it (~45 ms of the
 * start's critical path). So in the main bundle drizzle's import gets the installed PGlite's OIDs, read here at build
 * time, and a PGlite that says why it cannot be created; the engine's own imports of the package are untouched.
 */
const { types: pgliteTypes } = await import('@electric-sql/pglite');
const pgliteTypeOids = Object.fromEntries(Object.entries(pgliteTypes).filter(([, value]) => typeof value === 'number'));
if (!['TIMESTAMP', 'TIMESTAMPTZ', 'INTERVAL', 'DATE'].every((name) => typeof pgliteTypeOids[name] === 'number')) {
  console.error('[build-release] @electric-sql/pglite no longer exports the type OIDs drizzle-orm/pglite reads (types.TIMESTAMP, …)');
  process.exit(1);
}
const drizzlePgliteTypesOnly = {
  name: 'drizzle-pglite-types-only',
  setup(esbuild) {
    const drizzlePglite = `${path.sep}node_modules${path.sep}drizzle-orm${path.sep}pglite${path.sep}`;
    esbuild.onResolve({ filter: /^@electric-sql\/pglite$/ }, (args) => (args.importer.includes(drizzlePglite) ? { path: 'pglite-types', namespace: 'drizzle-pglite-types-only' } : undefined));
    esbuild.onLoad({ filter: /.*/, namespace: 'drizzle-pglite-types-only' }, () => ({
      loader: 'js',
      contents: [
        `export const types = ${JSON.stringify(pgliteTypeOids)};`,
        'export class PGlite {',
        "  constructor() { throw new Error('drizzle-orm/pglite in this build runs on an open PGlite instance (drizzle(instance)); create it with @electric-sql/pglite'); }",
        '}',
      ].join('\n'),
    }));
  },
};

/**
 * zod's `locales` namespace (`z.locales.fr()`, ...) re-exports its translations of error messages into some fifty
 * languages; an ES namespace re-export keeps every one of them in the bundle, ~300 KB that `skyflo serve` and `skyflo
 * mcp` compiled at every start (a tenth of what the engine loads before it listens) without ever running one.
 * Skyflo's messages are English, zod's default, which zod sets from locales/en.js itself: the namespace keeps `en`.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(esbuild) {
    const zodPackage = `${path.sep}node_modules${path.sep}zod${path.sep}`;
    esbuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(zodPackage) ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({ contents: "export { default as en } from './en.js';", resolveDir: path.dirname(args.path), loader: 'js' }));
  },
};

/**
 * Gives each inlined source module an import.meta.url that mirrors its repository path under dist/assets, relative
 * to the directory its output file is written to.
 */
const mirroredModuleUrls = (outputDirectory) => ({
  name: 'mirrored-module-urls',
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const relative = path.relative(root, args.path).split(path.sep).join('/');
      // Every output file of a build sits directly in its output directory (see chunkNames), so this is right from any.
      const fromOutput = path.relative(outputDirectory, path.join(assetsDir, relative)).split(path.sep).join('/');
      const mirrored = `new URL(${JSON.stringify(fromOutput.startsWith('.') ? fromOutput : `./${fromOutput}`)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', mirrored), loader: path.extname(args.path).slice(1).replace(/^[cm]/, '') };
    });
  },
});

/** What both builds below share: Node 20 ES modules, every workspace package inlined (see the plugins above). */
const bundleOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'none',
  minifyWhitespace: true,
  // Inlined CommonJS packages call require() for Node built-ins; an ES module has no require of its own.
  banner: { js: "import { createRequire as __skyfloCreateRequire } from 'node:module'; const require = __skyfloCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};

rmSync(outDir, { recursive: true, force: true });
const result = await build({
  ...bundleOptions,
  entryPoints: { skyflo: path.join(cliDir, 'src', 'main.ts') },
  outdir: outDir,
  // Flat output: chunks beside the entry, so the mirrored asset URLs are the same from every file.
  chunkNames: '[name]-[hash]',
  splitting: true,
  plugins: [zodEnglishOnly, drizzlePgliteTypesOnly, externalDependencies, mirroredModuleUrls(outDir)],
});

/**
 * The embedded database's worker thread (packages/engine/src/adapters/storage/pglite/pglite-thread): its client starts
 * `./pglite-thread-worker.js` beside itself when that exists, i.e. at its mirrored place under dist/assets. A build
 * of its own: the thread loads only what it runs, while the engine loads its modules on the main thread.
 */
const pgliteThreadWorker = 'packages/engine/src/adapters/storage/pglite/pglite-thread/pglite-thread-worker.ts';
const workerOutput = path.join(assetsDir, pgliteThreadWorker.replace(/\.ts$/, '.js'));
const workerResult = await build({
  ...bundleOptions,
  entryPoints: [path.join(root, pgliteThreadWorker)],
  outdir: path.dirname(workerOutput),
  // Split, so that what the thread imports later (the migrator, only for a data dir that needs it) does not load
  // before it starts copying. PGlite itself does load first: prepared-statements.ts imports its protocol helpers
  // (importing that module later moved the thread's start 75 ms sooner but not the open's end; README, Cold start).
  splitting: true,
  chunkNames: '[name]-[hash]',
  plugins: [zodEnglishOnly, externalDependencies, mirroredModuleUrls(path.dirname(workerOutput))],
});
Object.assign(result.metafile.outputs, workerResult.metafile.outputs);

const missing = [...externals.keys()].filter((name) => !cliManifest.dependencies?.[name]).sort();
if (missing.length > 0) {
  const lines = missing.map((name) => `  ${name} (imported by ${path.relative(root, externals.get(name))})`);
  console.error(`[build-release] packages/cli/package.json must list these runtime dependencies of the bundle:\n${lines.join('\n')}`);
  process.exit(1);
}

for (const asset of assets) {
  const source = asset.source ?? path.join(root, asset.from);
  if (!existsSync(source)) {
    if (asset.optional) {
      console.warn(`[build-release] ${asset.from} not found; the release is built without it`);
      continue;
    }
    throw new Error(`[build-release] ${asset.from} is missing`);
  }
  const target = path.join(assetsDir, asset.from);
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
}
rmSync(uiBuild, { recursive: true, force: true });

// npm packs no empty directories, and a PostgreSQL data directory needs its empty ones: list them in the template's
// marker so seeding recreates them (packages/engine/src/adapters/storage/pglite/pglite-template.ts).
const shippedTemplate = path.join(assetsDir, '.tools', 'pglite-template');
if (existsSync(shippedTemplate)) {
  const databaseDir = path.join(shippedTemplate, 'pglite');
  const emptyDirectories = [];
  const walk = (directory) => {
    const entries = readdirSync(directory, { withFileTypes: true });
    if (entries.length === 0) emptyDirectories.push(path.relative(databaseDir, directory).split(path.sep).join('/'));
    for (const entry of entries) if (entry.isDirectory()) walk(path.join(directory, entry.name));
  };
  walk(databaseDir);
  const markerFile = path.join(shippedTemplate, 'skyflo-template.json');
  const marker = JSON.parse(readFileSync(markerFile, 'utf8'));
  writeFileSync(markerFile, `${JSON.stringify({ ...marker, emptyDirectories: emptyDirectories.sort() })}\n`);
}

// What this build was made from, so a bench can tell a build of this checkout from an older one (bench/support/
// shipped-build.ts): the commit, and the sha-256 of every source file of the repository that went into the bundle.
const { createHash } = await import('node:crypto');
const sourceInputs = [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(workerResult.metafile.inputs)])]
  .map((input) => path.resolve(root, input.replace(/^[^:]+:/, '')))
  .filter((file) => file.startsWith(root + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`) && existsSync(file))
  .sort();
// null where there is no git (the image's build stage) or no checkout: the build says so rather than failing
const commit = (spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout ?? '').trim() || null;
writeFileSync(
  path.join(outDir, 'build-info.json'),
  `${JSON.stringify({ builtAt: new Date().toISOString(), commit, sources: Object.fromEntries(sourceInputs.map((file) => [path.relative(root, file).split(path.sep).join('/'), createHash('sha256').update(readFileSync(file)).digest('hex')])) }, null, 1)}\n`,
);

const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
writeFileSync(path.join(outDir, 'externals.json'), `${JSON.stringify([...externals.keys()].sort(), null, 2)}\n`);
console.log(`[build-release] ${path.relative(root, outDir)}: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB of JavaScript, ${externals.size} external packages`);
