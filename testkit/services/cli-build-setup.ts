/**
 * vitest globalSetup (the integration and e2e projects): a folder of this run's own, inside packages/cli (the
 * bundle's external dependencies resolve from there), where the first suite that spawns `skyflo` builds the release
 * bundle the run's other suites spawn too (skyflo-command.ts). Set as an environment variable before the workers start, so they inherit
 * it; made afresh for every run, so a run always runs the command of the sources it started with; removed at its end.
 * vitest runs the global set-up of each project in its main process: the first project's makes the folder, the
 * others of the run find it set and use the same one (one build per run, not one per project).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../tools.ts';
import { cliBuildDirVariable } from './skyflo-command.ts';

export default function setup(): () => void {
  if (process.env[cliBuildDirVariable]) return () => {};
  const parent = path.join(repoRoot, 'packages', 'cli', '.test-builds');
  mkdirSync(parent, { recursive: true });
  const directory = mkdtempSync(path.join(parent, 'run-'));
  process.env[cliBuildDirVariable] = directory;
  return () => rmSync(directory, { recursive: true, force: true });
}
