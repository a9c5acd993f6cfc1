/**
 * The type check, as a test of the run rather than a step before it: `tsc` on every package and on the UI took
 * 98 s on one machine (99 + 35 s of CPU, mostly one core), and ahead of the suites it left the other core idle most of
 * that time; a type error also kept every suite from running. Here the
 * sequencer starts it first (scripts/test-sequencer.ts) and the suites run beside it. `npm run typecheck` runs the same
 * checks by hand; the projects are read from that script.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/run-vitest.ts';

const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/** The projects `npm run typecheck` checks (each `-p` of the script), so the two lists cannot drift apart. */
const projects = [...(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: { typecheck: string } }).scripts.typecheck.matchAll(/-p (\S+)/g)].map((match) => match[1]!);

/** tsc's exit code and what it printed (its diagnostics go to stdout) */
function typecheck(project: string, cwd = repoRoot): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', project, '--noEmit', '--pretty', 'false'], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

// a limit only a hung compiler reaches: on two busy cores the larger project takes a few minutes
describe('the type check', { timeout: 15 * 60_000 }, () => {
  it('checks what npm run typecheck checks: at least every package with its tests, scripts and evals, and the Command Center', () => {
    expect(projects).toEqual(expect.arrayContaining(['tsconfig.json', 'packages/ui/tsconfig.json']));
  });

  it.each(projects)('%s type-checks', async (project) => {
    const { code, output } = await typecheck(project);
    expect(output.trim(), `tsc -p ${project}`).toBe('');
    expect(code).toBe(0);
  });

  it('fails on a type error, naming the file and line (the check is not green by construction)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-typecheck-'));
    try {
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, include: ['*.ts'] }));
      writeFileSync(path.join(dir, 'wrong.ts'), "export const replicas: number = 'three';\n");
      const { code, output } = await typecheck('tsconfig.json', dir);
      expect(code).not.toBe(0);
      expect(output).toMatch(/^wrong\.ts\(1,14\): error TS2322: Type 'string' is not assignable to type 'number'\./m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
