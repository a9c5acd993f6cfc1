/**
 * Issue 23, item 1: after `npm run build:ui`, a running engine kept answering the plain-text "UI not built" page
 * until it was restarted. Now a UI built while the engine runs is served (the engine looks again, at most once a
 * second, while the bundle is missing).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let engine: TestEngine;
const uiDir = path.join(mkdtempSync(path.join(tmpdir(), 'skyflo-ui-later-')), 'dist');

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite, env: { UI_DIST_DIR: uiDir } });
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

describe('a UI built after the engine started', () => {
  it('is served without a restart: index.html for / and deep links, its assets, and /api stays JSON', async () => {
    const before = await engine.request({ method: 'GET', url: '/' });
    expect(before.statusCode).toBe(200);
    expect(before.headers['content-type']).toMatch(/^text\/plain/);
    expect(before.body).toContain('The Command Center web UI is not built');
    expect((await engine.request({ method: 'GET', url: '/chat/abc' })).statusCode).toBe(404);
    // a browser at a page of the UI (a bookmark, /login) is told why there is nothing, and what to do
    const bookmark = await engine.request({ method: 'GET', url: '/login', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(bookmark.statusCode).toBe(404);
    expect(bookmark.headers['content-type']).toMatch(/^text\/plain/);
    expect(bookmark.body).toContain('Build it with `npm run build:ui`');

    // what `npm run build:ui` writes, while the engine keeps running
    mkdirSync(path.join(uiDir, 'assets'), { recursive: true });
    writeFileSync(path.join(uiDir, 'assets', 'index-abc123.js'), 'console.log("command center")');
    writeFileSync(path.join(uiDir, 'assets', 'index-abc123.js.gz'), gzipSync('console.log("command center")'));
    writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script>');

    await vi.waitFor(
      async () => {
        const page = await engine.request({ method: 'GET', url: '/' });
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        expect(page.body).toContain('<div id="root">');
      },
      { timeout: 10_000, interval: 100 },
    );
    const deep = await engine.request({ method: 'GET', url: '/chat/00000000-0000-4000-8000-000000000000' });
    expect(deep.statusCode).toBe(200);
    expect(deep.headers['cache-control']).toBe('no-cache');
    expect(deep.body).toContain('<div id="root">');
    const asset = await engine.request({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.body).toBe('console.log("command center")');
    // the pre-compressed copy the UI build writes beside each asset is what a browser that accepts it gets
    const compressed = await engine.request({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(compressed.rawPayload).toString()).toBe('console.log("command center")');
    expect((await engine.request({ method: 'GET', url: '/assets/gone-999.js' })).statusCode).toBe(404);
    const api = await engine.request({ method: 'GET', url: '/api/v1/nope' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ detail: 'Route GET /api/v1/nope not found' });
  });
});
