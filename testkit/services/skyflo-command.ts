/**
 * The `skyflo` command the suites spawn. In a test run: the release bundle (scripts/build-release.mjs, what `npm pack`
 * and the image ship), built once per run from the run's sources by the first suite that asks, into the run's folder
 * (cli-build-setup.ts). The checkout's packages/cli/bin/skyflo.mjs compiles the TypeScript sources through tsx's
 * loader at every start instead: ~2.9 s of CPU for a `skyflo serve` to listen against ~0.9 s for the bundle, and many
 * suites start one or several (the restarts, the faults, the terminal, the operator, the MCP CLI). Outside a test run
 * (a script, a benchmark) there is no run folder and the checkout's command is returned.
 * Suites about the checkout's entry itself (bin/skyflo.mjs, which modules a start loads) keep spawning that file.
 */
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../tools.ts';

/** The variable cli-build-setup.ts sets for the run's workers: the run's folder for the bundle (inside packages/cli). */
export const cliBuildDirVariable = 'SKYFLO_TEST_CLI_BUILD_DIR';

/** The checkout's entry (TypeScript sources through tsx). */
const checkoutSkyfloEntry = path.join(repoRoot, 'packages', 'cli', 'bin', 'skyflo.mjs');

/**
 * The file to run with `node` for `skyflo`: the run's bundle (built here, synchronously, the first time any suite of
 * the run asks: a suite asks before it starts anything, so blocking its worker for the build's seconds stalls nothing),
 * else the checkout's entry. Two workers asking at once both build, each into a folder of its own, and the first
 * rename wins; the other serves the same build of the same sources.
 */
export function skyfloEntry(): string {
  const runDir = process.env[cliBuildDirVariable];
  if (!runDir) return checkoutSkyfloEntry;
  const built = path.join(runDir, 'cli');
  const entry = path.join(built, 'skyflo.js');
  if (existsSync(entry)) return entry;
  const building = path.join(runDir, `cli.building-${process.pid}-${randomUUID()}`);
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-release.mjs'), '--out-dir', building], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(`building the run's skyflo bundle failed (${result.status ?? result.signal}):\n${`${result.stdout}${result.stderr}`.slice(-4000)}`);
  }
  // The bundle runs the kubectl and helm it finds beside its assets (the MCP server's create-tool-deps.ts), else the
  // ones on PATH; the checkout's command runs the versions npm install pinned in .tools/bin. A link gives the run's
  // bundle those same binaries, not whatever kubectl the machine has on its PATH.
  const pinned = path.join(repoRoot, '.tools', 'bin');
  if (existsSync(pinned)) {
    mkdirSync(path.join(building, 'assets', '.tools'), { recursive: true });
    symlinkSync(pinned, path.join(building, 'assets', '.tools', 'bin'));
  }
  try {
    renameSync(building, built);
  } catch (error) {
    // another worker's build got there first: run that one
    if (!existsSync(entry)) throw error;
    rmSync(building, { recursive: true, force: true });
  }
  return entry;
}
