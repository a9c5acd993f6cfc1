/**
 * Runs setup, verify and cleanup steps: argv only (execFile, no shell), cwd = the task folder, KUBECONFIG and
 * PATH (the repo's real kubectl and helm first) in the environment. A step with `retryFor` is retried until it
 * passes or the time is up, because cluster state settles asynchronously.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import type { Step } from './task-schema.ts';

export interface StepEnvironment {
  taskDir: string;
  env: Record<string, string>;
}

export interface StepOutcome {
  ok: boolean;
  /** what failed, with the step's output, for the results file */
  message?: string;
}

const programs: Record<string, string> = { kubectl: kubectlPath, helm: helmPath };

function describe(step: Step): string {
  if (step.name) return step.name;
  return 'run' in step ? step.run.join(' ') : step.script;
}

function runOnce(step: Step, environment: StepEnvironment, signal: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
  const [program, ...args] = 'run' in step ? step.run : [path.join(environment.taskDir, step.script)];
  const file = programs[program!] ?? program!;
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: environment.taskDir, env: environment.env, timeout: step.timeout ?? 60_000, maxBuffer: 16 * 1024 * 1024, signal },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error && code === -1 ? error.message : '') });
      },
    );
  });
}

function check(step: Step, result: { code: number; stdout: string; stderr: string }): string | undefined {
  const expect = 'run' in step ? step.expect : undefined;
  const wantCode = expect?.exitCode ?? 0;
  if (result.code !== wantCode) return `exited ${result.code} (expected ${wantCode}): ${(result.stderr || result.stdout).trim().slice(0, 600)}`;
  const out = result.stdout.trim();
  if (expect?.equals !== undefined && out !== expect.equals) return `printed "${out.slice(0, 300)}", expected "${expect.equals}"`;
  if (expect?.contains !== undefined && !out.includes(expect.contains)) return `output does not contain "${expect.contains}": ${out.slice(0, 300)}`;
  if (expect?.matches !== undefined && !new RegExp(expect.matches, 'm').test(out)) return `output does not match /${expect.matches}/: ${out.slice(0, 300)}`;
  return undefined;
}

export async function runStep(step: Step, environment: StepEnvironment, signal: AbortSignal): Promise<StepOutcome> {
  const deadline = Date.now() + (step.retryFor ?? 0);
  for (;;) {
    const result = await runOnce(step, environment, signal);
    const problem = check(step, result);
    if (!problem) return { ok: true };
    if (signal.aborted) return { ok: false, message: `${describe(step)}: aborted (the task timed out)` };
    if (Date.now() >= deadline) return { ok: false, message: `${describe(step)}: ${problem}${step.retryFor ? ` (still failing after ${step.retryFor / 1000} s)` : ''}` };
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Runs steps in order; stops at the first failure unless `all` (verify reports every failed check). */
export async function runSteps(steps: Step[], environment: StepEnvironment, signal: AbortSignal, options: { all?: boolean } = {}): Promise<string[]> {
  const failures: string[] = [];
  for (const step of steps) {
    const outcome = await runStep(step, environment, signal);
    if (!outcome.ok) {
      failures.push(outcome.message!);
      if (!options.all) break;
    }
  }
  return failures;
}
