#!/usr/bin/env node
/**
 * Builds the Command Center bundle with Vite (argv, no shell).
 *   node packages/ui/scripts/build-ui.mjs              → packages/ui/dist
 *   node packages/ui/scripts/build-ui.mjs --if-missing → only when the output has no index.html yet
 *                                                        (what `npm start` and `npm run sandbox` run first)
 *   node packages/ui/scripts/build-ui.mjs --out-dir D  → into D (tests build into their own directory)
 * Without --out-dir, UI_DIST_DIR (the folder the engine serves the UI from) is the output when set, so `npm start`
 * and `npm run sandbox` build exactly where the engine they start will look.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out-dir');
const outDir = outIndex >= 0 ? path.resolve(args[outIndex + 1]) : process.env.UI_DIST_DIR ? path.resolve(process.env.UI_DIST_DIR) : path.join(uiDir, 'dist');

if (args.includes('--if-missing') && existsSync(path.join(outDir, 'index.html'))) process.exit(0);

const viteBin = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
console.error(`Building the Command Center UI into ${path.relative(process.cwd(), outDir) || outDir} …`);
const result = spawnSync(process.execPath, [viteBin, 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], {
  cwd: uiDir,
  stdio: 'inherit',
  // a build started from a test runner inherits NODE_ENV=test, which would bundle React's development build
  env: { ...process.env, NODE_ENV: 'production' },
});
process.exit(result.status ?? 1);
