/** The Node.js floor: one range in every package.json, checked at start with a one-line message; `skyflo --version`. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@skyflo/testkit/tools';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem, supportedNodeRange } from '../../src/node-version.ts';

const run = promisify(execFile);

describe('nodeVersionProblem', () => {
  it.each(['20.18.0', '20.0.0', '18.20.4', '21.7.3', '22.11.0', '22.0.0'])('refuses %s with one line naming the floor, the version and what to do', (version) => {
    const message = nodeVersionProblem(version)!;
    expect(message).toContain('Skyflo needs Node.js >= 20.19 (or >= 22.12 on Node.js 22)');
    expect(message).toContain(`this is ${version}.`);
    expect(message).toMatch(/Install a current LTS release from https:\/\/nodejs\.org/);
    expect(message).not.toContain('\n');
  });

  it.each(['20.19.0', '20.20.2', '22.12.0', '22.20.1', '23.0.0', '24.11.1', '26.0.0-pre'])('accepts %s', (version) => {
    expect(nodeVersionProblem(version)).toBeUndefined();
  });

  it('is the range every package.json and the lockfile declare', () => {
    for (const file of ['package.json', 'packages/cli/package.json']) {
      expect(JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')).engines.node, file).toBe(supportedNodeRange);
    }
    const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8'));
    for (const entry of ['', 'packages/cli']) expect(lock.packages[entry].engines.node, `package-lock.json "${entry}"`).toBe(supportedNodeRange);
  });
});

describe('skyflo --version', () => {
  it('prints the version of the CLI package and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'packages/cli/package.json'), 'utf8'));
    const { stdout } = await run(process.execPath, [path.join(repoRoot, 'packages/cli/bin/skyflo.mjs'), '--version']);
    expect(stdout).toBe(`skyflo ${version}\n`);
  });
});
