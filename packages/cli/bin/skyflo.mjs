#!/usr/bin/env node
// In a checkout, runs the TypeScript sources through tsx's loader (no build step, edits apply at once).
// An installed release (npm pack / the image) has no src/ and runs the compiled bundle (scripts/build-release.mjs).
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/main.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
} else {
  await import('../dist/skyflo.js');
}
