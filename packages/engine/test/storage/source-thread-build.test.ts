/**
 * A source checkout's PGlite thread runs its TypeScript compiled once and cached (source-thread-build.ts): the cache
 * must never run stale code. Shown on a small thread of the test's own, whose output says which source it ran.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSourceThread, packageCacheDir } from '../../src/adapters/storage/pglite/pglite-thread/source-thread-build.ts';
import { openEmbeddedDatabase } from '../../src/adapters/storage/pglite/embedded-database.ts';

const engineDir = path.resolve(import.meta.dirname, '..', '..');
// inside the engine package, so that the compiled thread would resolve npm packages as the engine does
mkdirSync(path.join(engineDir, 'node_modules', '.cache'), { recursive: true });
const scratch = mkdtempSync(path.join(engineDir, 'node_modules', '.cache', 'source-thread-build-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a compiled thread; it posts one message and ends. */
function runThread(file: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file);
    worker.once('message', (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

function threadSources(directory: string, greeting: string): string {
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, 'greeting.ts'), `export const greeting: string = ${JSON.stringify(greeting)};\nexport const beside = new URL('./data.txt', import.meta.url).href;\n`);
  const entry = path.join(directory, 'thread.ts');
  writeFileSync(entry, "import { parentPort } from 'node:worker_threads';\nimport { beside, greeting } from './greeting.ts';\nparentPort!.postMessage({ greeting, beside, self: import.meta.url });\n");
  return entry;
}

describe('compiling a thread of the source checkout', () => {
  it('runs the sources as they are, each module still finding what lies beside it', async () => {
    const sources = path.join(scratch, 'sources');
    const entry = threadSources(sources, 'hello');
    const cacheDir = path.join(scratch, 'cache');
    const compiled = await compileSourceThread({ entry, cacheDir });
    expect(path.dirname(compiled)).toBe(cacheDir);
    await expect(runThread(compiled)).resolves.toEqual({
      greeting: 'hello',
      beside: pathToFileURL(path.join(sources, 'data.txt')).href,
      self: pathToFileURL(entry).href,
    });

    // unchanged sources: the cached module, not written again
    const written = statSync(compiled).mtimeMs;
    await expect(compileSourceThread({ entry, cacheDir })).resolves.toBe(compiled);
    expect(statSync(compiled).mtimeMs).toBe(written);

    // an imported module edited: compiled again, and the thread runs the edit
    threadSources(sources, 'hello again');
    const recompiled = await compileSourceThread({ entry, cacheDir });
    expect(recompiled).not.toBe(compiled);
    await expect(runThread(recompiled)).resolves.toMatchObject({ greeting: 'hello again' });

    // the compiled file gone from the cache: compiled again rather than started from nothing
    rmSync(recompiled);
    const restored = await compileSourceThread({ entry, cacheDir });
    await expect(runThread(restored)).resolves.toMatchObject({ greeting: 'hello again' });
  });

  it("gives the engine's database thread a cache that resolves packages as the engine does", async () => {
    const entry = path.join(engineDir, 'src', 'adapters', 'storage', 'pglite', 'pglite-thread', 'pglite-thread-worker.ts');
    const cacheDir = packageCacheDir(entry);
    expect(cacheDir).toBe(path.join(engineDir, 'node_modules', '.cache', 'skyflo'));
    // a database opened through the compiled thread answers, and the cache holds the thread, compiled from its source
    const database = await openEmbeddedDatabase(path.join(scratch, 'data'));
    try {
      await expect(database.connection.query('select count(*)::int as count from users')).resolves.toMatchObject({ rows: [{ count: 0 }] });
    } finally {
      await database.close();
    }
    const entries = readdirSync(cacheDir).filter((name) => name.startsWith('pglite-thread-worker.ts.') && name.endsWith('.json'));
    expect(entries).toHaveLength(1);
    const cached = JSON.parse(readFileSync(path.join(cacheDir, entries[0]!), 'utf8')) as { inputs: Record<string, string>; output: string };
    expect(Object.keys(cached.inputs)).toContain(entry);
    expect(existsSync(cached.output)).toBe(true);
  });
});
