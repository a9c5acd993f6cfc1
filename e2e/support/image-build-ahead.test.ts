/**
 * How the image test finds the image `npm test` built beside the suites (image-build-ahead.ts): the state file is in
 * the shared temp dir, so what it says is checked before anything is run from it. The build itself is exercised by
 * e2e/container-image.test.ts in every `npm test`.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { awaitImageBuiltAhead, imageBuildStateFile } from './image-build-ahead.ts';

// a run id no shell of this machine has: pids stay below 2^22
const runId = String(9_000_000_000 + process.pid);
const ownTag = `localhost/skyflo:ci-run-${runId}`;
const state = (fields: Record<string, unknown>) => writeFileSync(imageBuildStateFile(runId), JSON.stringify({ tag: ownTag, workerPid: process.pid, startedAt: '2026-12-01T10:00:00.000Z', ...fields }));

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

afterEach(() => rmSync(imageBuildStateFile(runId), { force: true }));

describe('the image built ahead', () => {
  it('is none when the run started no build (vitest run directly): the test builds the image itself', async () => {
    expect(await awaitImageBuiltAhead(undefined, 1000)).toBeUndefined();
    expect(await awaitImageBuiltAhead(runId, 1000)).toBeUndefined();
  });

  it("is the run's own tag once built", async () => {
    state({ state: 'built', seconds: 200, leftContainers: ['5ca182235f42-working-container'] });
    // with what the build left behind, which the image test fails on
    expect(await awaitImageBuiltAhead(runId, 1000)).toEqual({ tag: ownTag, leftContainers: ['5ca182235f42-working-container'] });
  });

  it('is refused when the state file names any other image (planted in the shared temp dir)', async () => {
    state({ state: 'built', seconds: 200, tag: 'docker.io/attacker/skyflo:latest' });
    await expect(awaitImageBuiltAhead(runId, 1000)).rejects.toThrow(/names "docker\.io\/attacker\/skyflo:latest", not this run's image localhost\/skyflo:ci-run-/);
  });

  it('fails with the build error when the build failed, and says so when its worker died without a result', async () => {
    state({ state: 'failed', seconds: 42, error: 'buildah bud … failed: npm ci exited 1' });
    await expect(awaitImageBuiltAhead(runId, 1000)).rejects.toThrow(/failed after 42 s .*\n.*npm ci exited 1/);
    state({ state: 'building', workerPid: await deadPid() });
    await expect(awaitImageBuiltAhead(runId, 60_000)).rejects.toThrow(/worker \(pid \d+\) is gone without a result/);
  });

  it('refuses a run id that is not a pid before it names a file', () => {
    expect(() => imageBuildStateFile('../../etc/x')).toThrow(/must be the npm script's shell pid/);
  });
});
