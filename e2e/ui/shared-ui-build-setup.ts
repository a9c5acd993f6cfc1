/**
 * vitest globalSetup (integration project): a folder of this run's own for the Command Center bundle the browser
 * suites serve (ui-stack.ts, sharedUiBuild). The first suite that needs the bundle builds it there, the others of the
 * run serve that build, read-only, instead of each building its own (32 builds of the same sources per run before).
 * Made afresh for every run, so a run always serves the UI of the sources it started with; removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** where this run's shared UI bundle is built (ui-stack.ts, sharedUiBuild) */
    sharedUiBuildDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-test-run-ui-'));
  project.provide('sharedUiBuildDir', directory);
  return () => rmSync(directory, { recursive: true, force: true });
}
