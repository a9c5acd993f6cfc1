/**
 * In a source checkout, the PGlite thread's TypeScript compiled once into one ES module (esbuild, which the checkout's
 * tsx already brings) and kept in a cache, rather than compiled again through tsx's loader by every thread started.
 * Why: a thread that registers tsx and loads its eight modules through it cost ~1.15 s of CPU to open the database,
 * the compiled module ~0.65 s (measured: eight starts each, one process, template seeded). Every engine a test or
 * `npm start` starts opens one.
 *
 * The cache is checked against the sources, not trusted: an entry records each input's SHA-256 and is used only while
 * every input still has it, so an edited source is compiled again by the next thread. A release has its own compiled
 * worker (scripts/build-release.mjs) and never comes here; a checkout without esbuild (the compile fails) falls back to tsx.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface SourceThreadBuildOptions {
  /** the thread's entry module (TypeScript) */
  entry: string;
  /**
   * where compiled entries are kept. It must resolve packages as the entry does (a `node_modules/.cache` folder of
   * the entry's package): the compiled module imports its npm dependencies from where it is written.
   */
  cacheDir: string;
}

/** What one compile of an entry left in the cache: which inputs, at which content, made which file. */
interface CacheEntry {
  esbuild: string;
  inputs: Record<string, string>;
  output: string;
}

/**
 * The compiled module for `entry`: the cached one when its inputs are unchanged, else compiled now. Two processes
 * compiling at once each write their own file and rename the entry into place: either entry is whole.
 */
export async function compileSourceThread(options: SourceThreadBuildOptions): Promise<string> {
  const esbuild = await loadEsbuild();
  const entryFile = path.join(options.cacheDir, `${path.basename(options.entry)}.${hashOf(options.entry).slice(0, 12)}.json`);
  const cached = await readCacheEntry(entryFile);
  if (cached && cached.esbuild === esbuild.version && existsSync(cached.output) && (await inputsUnchanged(cached.inputs))) return cached.output;

  const compiledSources = new Map<string, string>();
  const result = await esbuild.build({
    entryPoints: [options.entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // npm packages are imported at run time from the cache's place, as the sources import them
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'silent',
    plugins: [sourceModuleUrls(compiledSources)],
  });
  const code = result.outputFiles[0]!.text;
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = path.resolve(input);
    // the hash of the text esbuild compiled (read once, by the plugin): a file edited during the build is compiled
    // again next time rather than recorded as compiled
    inputs[file] = hashOf(compiledSources.get(file) ?? (await readFile(file)));
  }
  await mkdir(options.cacheDir, { recursive: true });
  const output = path.join(options.cacheDir, `${path.basename(options.entry, path.extname(options.entry))}.${hashOf(code).slice(0, 16)}.mjs`);
  await writeWhole(output, code);
  await writeWhole(entryFile, `${JSON.stringify({ esbuild: esbuild.version, inputs, output } satisfies CacheEntry)}\n`);
  return output;
}

/** `<the nearest package.json's folder>/node_modules/.cache/skyflo`: resolves packages as that package's sources do. */
export function packageCacheDir(module: string): string {
  let directory = path.dirname(module);
  while (!existsSync(path.join(directory, 'package.json')) && path.dirname(directory) !== directory) directory = path.dirname(directory);
  return path.join(directory, 'node_modules', '.cache', 'skyflo');
}

/**
 * Each inlined source keeps its own import.meta.url (its file's URL), so what it finds beside itself (the migrations,
 * the template, PGlite's wasm through createRequire) it finds in the sources, wherever the compiled module is. The
 * text of each source loaded goes into `loaded`, by path: what the cache entry's hashes must describe.
 */
function sourceModuleUrls(loaded: Map<string, string>): import('esbuild').Plugin {
  return {
    name: 'source-module-urls',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        loaded.set(args.path, source);
        return { contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
      });
    },
  };
}

/**
 * esbuild is a tool of the checkout, not a dependency of a release: named through a variable, so that the release
 * build (which bundles this module, unused there) does not take it for a package the release must install. Where it
 * is not installed the import fails, and the caller starts the thread through tsx instead.
 */
const esbuildPackage = 'esbuild';
function loadEsbuild(): Promise<typeof import('esbuild')> {
  return import(esbuildPackage) as Promise<typeof import('esbuild')>;
}

async function readCacheEntry(file: string): Promise<CacheEntry | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
}

async function inputsUnchanged(inputs: Record<string, string>): Promise<boolean> {
  const current = await Promise.all(Object.entries(inputs).map(async ([file, hash]) => hashOf(await readFile(file).catch(() => '')) === hash));
  return current.every(Boolean);
}

/** Written beside its place and renamed there: a reader sees the old file or the whole new one. */
async function writeWhole(file: string, content: string): Promise<void> {
  const staging = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(staging, content);
    await rename(staging, file);
  } catch (error) {
    await rm(staging, { force: true });
    throw error;
  }
}

function hashOf(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
