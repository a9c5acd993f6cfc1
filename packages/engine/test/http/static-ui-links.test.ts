/**
 * Issue 74 item 1, for the Command Center's bundle folder (UI_DIST_DIR): its files are served to anyone, signed in
 * or not, and were found by a stat that follows links. A link in the folder to a file outside (a key, or
 * /proc/self/environ), a linked folder, or a pre-compressed copy that is a link must never be sent.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const KEY = 'encryption-key-5e1d0c9b8a';
let lite: PGlite;
let engine: TestEngine;
let base: string;

beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-links-'));
  writeFileSync(path.join(base, 'encryption-key'), KEY);
  mkdirSync(path.join(base, 'keys'));
  writeFileSync(path.join(base, 'keys', 'key.txt'), KEY);
  writeFileSync(path.join(base, 'key.gz'), gzipSync(KEY));
  const ui = path.join(base, 'dist');
  mkdirSync(path.join(ui, 'assets'), { recursive: true });
  writeFileSync(path.join(ui, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(path.join(ui, 'assets', 'app-1.js'), 'console.log("app")');
  writeFileSync(path.join(ui, 'assets', 'app-2.js'), 'console.log("app 2")');
  symlinkSync(path.join(base, 'key.gz'), path.join(ui, 'assets', 'app-2.js.gz'));
  symlinkSync(path.join(base, 'encryption-key'), path.join(ui, 'assets', 'key.js'));
  symlinkSync('/proc/self/environ', path.join(ui, 'env.txt'));
  symlinkSync(path.join(base, 'keys'), path.join(ui, 'leak'));
  symlinkSync('app-1.js', path.join(ui, 'assets', 'alias.js'));
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite, env: { UI_DIST_DIR: ui } });
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('the Command Center bundle folder', () => {
  it('never sends a linked file from outside it to an anonymous visitor', async () => {
    const key = await engine.request({ method: 'GET', url: '/assets/key.js' });
    expect(key.statusCode).toBe(404);
    for (const url of ['/env.txt', '/leak/key.txt']) {
      const answer = await engine.request({ method: 'GET', url });
      // not a file of the bundle: the single-page app answers, as for any other path
      expect(answer.headers['content-type']).toMatch(/^text\/html/);
      expect(answer.body).toContain('<div id="root">');
      expect(answer.body).not.toContain(KEY);
      expect(answer.body).not.toMatch(/PATH=/);
    }
    const compressed = await engine.request({ method: 'GET', url: '/assets/app-2.js', headers: { 'accept-encoding': 'gzip' } });
    expect(compressed.statusCode).toBe(404);
    expect(compressed.rawPayload.includes(gzipSync(KEY).subarray(10, 20))).toBe(false);
  });

  it('still serves its own files, and a link that stays inside', async () => {
    const app = await engine.request({ method: 'GET', url: '/assets/app-1.js' });
    expect(app.statusCode).toBe(200);
    expect(app.body).toBe('console.log("app")');
    expect((await engine.request({ method: 'GET', url: '/assets/alias.js' })).body).toBe('console.log("app")');
    expect((await engine.request({ method: 'GET', url: '/' })).body).toContain('<div id="root">');
  });
});
