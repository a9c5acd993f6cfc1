import { defineConfig } from 'vitest/config';
import FlowsSpreadSequencer, { flowsProject } from './scripts/test-sequencer.ts';

/**
 * The test suites, the first phase of `npm test`. The container image test is the second phase
 * (vitest.image.config.ts): its image is built beside this phase by a worker at nice 19 with no test's limit
 * (e2e/support/image-build-ahead.ts), which takes the cycles the suites leave idle; as a test beside them it either
 * slowed them or, niced, was starved past its limit.
 */
export const imageTest = 'e2e/container-image.test.ts';

/**
 * The fast tier (`npm run test:unit`, `vitest run --project unit`): tests beside the pure module they test. No process,
 * no socket, no database: scripts/unit-test-guard.ts makes spawning a process, listening or connecting throw in them,
 * and a test that needs any of those belongs in the package's test/<capability>/ folder (the integration project).
 */
export const unitTests = ['packages/*/src/**/*.test.ts', 'testkit/services/*.test.ts', 'bench/support/*.test.ts'];

export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', imageTest],
    // Suites start real processes (kubectl, helm, simulators); two cores, so two workers.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', ['./scripts/summary-reporter.ts', { firstPhase: true }]],
    // the e2e project's files spread through the others, not run as a block (scripts/test-sequencer.ts)
    sequence: { sequencer: FlowsSpreadSequencer },
    projects: [
      {
        extends: true,
        // Pure modules keep no state between files, so the files of a worker share one module graph: importing the
        // engine's modules once per worker, not once per file, is what keeps the tier within seconds.
        test: { name: 'unit', include: unitTests, setupFiles: ['./scripts/unit-test-guard.ts'], isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Each package's suites share one worker process and module graph per worker: importing the engine, the MCP
          // server and the simulators once per worker, not once per file, takes a quarter off the tier (1,713 s → 1,264 s
          // for these 332 files on one machine, the import alone 631 s → 57 s). The set-up file puts back what a file
          // changed in the process (environment, working directory, stubs) before the next file of the worker runs.
          include: ['packages/*/test/**/*.test.ts', 'testkit/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...unitTests],
          isolate: false,
          setupFiles: ['./scripts/shared-worker-guard.ts', './scripts/file-cpu-meter.ts'],
          // the first suite that spawns `skyflo` builds the release bundle the others of the run spawn (skyflo-command.ts)
          globalSetup: ['./testkit/services/cli-build-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Whole-product flows (the browser, the faults, the evals): few files, long, spread through the package
          // suites by the sequencer, the longest first. They share worker processes as the package suites do: on one
          // machine, 12 browser suites took 179 s and 211 s of CPU in a process each, 145 s and 148 s shared (the
          // engine, kube-sim and playwright imported once per worker); the whole project passed shared.
          name: flowsProject,
          include: ['e2e/**/*.test.ts', 'evals/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', imageTest],
          isolate: false,
          setupFiles: ['./scripts/shared-worker-guard.ts', './scripts/file-cpu-meter.ts'],
          // folders of the run's own where the first browser suite builds the Command Center bundle the others serve,
          // and the first suite that spawns `skyflo` builds the release bundle the others spawn (skyflo-command.ts)
          globalSetup: ['./e2e/ui/shared-ui-build-setup.ts', './testkit/services/cli-build-setup.ts'],
        },
      },
    ],
  },
});
