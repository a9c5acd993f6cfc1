/**
 * Set-up file of the `integration` and `e2e` test projects, whose files share one worker process and its
 * module graph (`isolate: false`): importing the engine once per worker instead of once per file is most of what
 * keeps the tier inside its time. What a file changes in the process itself would then reach the files after it in
 * that worker, so what the suites do change is put back when each file ends: environment variables (harnesses point
 * KUBECACHEDIR at their own temporary folder, the in-cluster suite sets KUBERNETES_SERVICE_HOST), the working directory,
 * stubbed globals (fetch), fake timers and spies. Set-up files run again for every file, so each file starts from what
 * the worker started with.
 */
import { afterAll, vi } from 'vitest';

const environment = { ...process.env };
const workingDirectory = process.cwd();

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in environment)) delete process.env[key];
  for (const [key, value] of Object.entries(environment)) if (process.env[key] !== value) process.env[key] = value;
  if (process.cwd() !== workingDirectory) process.chdir(workingDirectory);
  vi.unstubAllGlobals();
  vi.useRealTimers();
  vi.restoreAllMocks();
});
