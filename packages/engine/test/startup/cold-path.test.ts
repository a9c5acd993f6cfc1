/**
 * Issue 25, P6: what the cold start now defers or overlaps, seen from outside.
 * - `skyflo serve` opens the data dir's database before it parses the configuration; it still listens only once the
 *   database answered (so /health never says ok early), and a configuration it refuses leaves the data dir unlocked
 *   and without a half-copied seed.
 * - The docs page and the Command Center's files are sent by instances built on their first request: they answer
 *   as before (types, pre-compressed copies, ETags and 304s, HEAD lengths) and keep the engine's security headers.
 * - The password hasher loads argon2 on its first use.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lazyPasswordHasher } from '../../src/modules/startup/lazy-dependencies.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const bin = path.join(repoRoot, 'packages', 'cli', 'bin', 'skyflo.mjs');

function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), KUBECONFIG: path.join(tmpdir(), 'no-such-kubeconfig'), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('skyflo serve on a fresh data dir', { timeout: 300_000 }, () => {
  it('listens only after the database answered, and says when each start-up phase ended', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-cold-'));
    const server = serve({ SKYFLO_DATA_DIR: dataDir, SKYFLO_STARTUP_TRACE: '1' });
    try {
      const url = await vi.waitFor(
        () => {
          if (server.child.exitCode !== null) throw new Error(`exited:\n${server.output()}`);
          const found = /listening on (http:\/\/[^"\s]+)/.exec(server.output())?.[1];
          if (!found) throw new Error('not listening yet');
          return found;
        },
        { timeout: 120_000, interval: 50 },
      );
      // The first answer /health gives is already the whole engine's: the database answered before the engine listened.
      const health = await fetch(`${url}/api/v1/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', components: { database: 'ok', bus: 'ok' } });

      const trace = /skyflo-startup (\{.*\})/.exec(server.output());
      expect(trace, server.output()).not.toBeNull();
      const phases = JSON.parse(trace![1]!) as Record<string, { ms: number; processCpuMs: number }>;
      const order = Object.entries(phases)
        .sort(([, a], [, b]) => a.ms - b.ms)
        .map(([phase]) => phase);
      expect(order.indexOf('database thread started')).toBeLessThan(order.indexOf('config loaded'));
      expect(order.indexOf('database open')).toBeLessThan(order.indexOf('listening'));
      expect(order.indexOf('first queries answered')).toBeLessThan(order.indexOf('listening'));
      expect(phases.listening!.processCpuMs).toBeGreaterThan(0);

      // Seeded from the template and renamed into place: no staging copy is left beside it.
      expect(existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
      expect(readdirSync(dataDir).filter((name) => name.includes('seeding'))).toEqual([]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses a bad configuration after the database began to open, and leaves the data dir unlocked and whole', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-cold-bad-'));
    const server = serve({ SKYFLO_DATA_DIR: dataDir, PORT: 'eighty' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/PORT: .*got "eighty"/);
    expect(existsSync(path.join(dataDir, 'skyflo.lock'))).toBe(false);
    expect(readdirSync(dataDir).filter((name) => name.includes('seeding'))).toEqual([]);
    // The next start with a good configuration opens it.
    const again = serve({ SKYFLO_DATA_DIR: dataDir });
    try {
      await vi.waitFor(
        () => {
          if (again.child.exitCode !== null) throw new Error(`exited:\n${again.output()}`);
          expect(again.output()).toMatch(/listening on http/);
        },
        { timeout: 120_000, interval: 50 },
      );
      expect(existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});

describe('files sent by instances built on first use', { timeout: 120_000 }, () => {
  let lite: PGlite;
  let engine: TestEngine;
  const uiDir = path.join(mkdtempSync(path.join(tmpdir(), 'skyflo-lazy-ui-')), 'dist');
  const script = 'console.log("command center")';

  beforeAll(async () => {
    mkdirSync(path.join(uiDir, 'assets'), { recursive: true });
    writeFileSync(path.join(uiDir, 'assets', 'index-abc123.js'), script);
    writeFileSync(path.join(uiDir, 'assets', 'index-abc123.js.gz'), gzipSync(script));
    writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><div id="root"></div>');
    ({ lite } = await createTestPglite());
    engine = await startTestEngine({ lite, env: { UI_DIST_DIR: uiDir } });
  });

  afterAll(async () => {
    await engine?.close();
    await lite?.close();
  });

  it('sends the docs page assets with their types and the engine headers, HEAD with the length GET sends', async () => {
    const css = await engine.request({ method: 'GET', url: '/api/docs/static/swagger-ui.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['x-content-type-options']).toBe('nosniff');
    const page = await engine.request({ method: 'GET', url: '/api/docs/' });
    const head = await engine.request({ method: 'HEAD', url: '/api/docs/' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(page.body));
    expect((await engine.request({ method: 'GET', url: '/api/docs/static/no-such-file.js' })).statusCode).toBe(404);
  });

  it('sends UI files with ETags, answers a revalidation with 304, and keeps the Content-Security-Policy', async () => {
    const asset = await engine.request({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe(script);
    expect(asset.headers['content-security-policy']).toContain("script-src 'self'");
    const etag = asset.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await engine.request({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const zipped = await engine.request({ method: 'HEAD', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toContain('accept-encoding');
    expect(Number(zipped.headers['content-length'])).toBe(gzipSync(script).length);
    const deep = await engine.request({ method: 'GET', url: '/conversations/anything' });
    expect(deep.headers['content-type']).toMatch(/^text\/html/);
    expect(deep.headers['cache-control']).toBe('no-cache');
    expect(deep.body).toContain('<div id="root">');
  });
});

describe('the password hasher', () => {
  it('hashes with argon2id loaded on first use, verifies, and treats a malformed hash as no match', async () => {
    const hasher = lazyPasswordHasher();
    const hash = await hasher.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await hasher.verify(hash, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(hash, 'wrong')).toBe(false);
    expect(await hasher.verify('not a hash', 'correct horse battery')).toBe(false);
  });
});
