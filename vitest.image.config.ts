import { defineConfig } from 'vitest/config';
import { imageTest } from './vitest.config.ts';

/**
 * The second phase of `npm test`: the container image test alone, after every other suite has finished. The image
 * itself was built beside the suites at nice 19 (e2e/support/image-build-ahead.ts, started by `npm test` before the
 * first phase), so this phase waits for that build if it is still going and then runs the image. The summary reporter
 * adds the first phase's totals, so the last line printed is the total of the whole run.
 */
export default defineConfig({
  test: {
    include: [imageTest],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', ['./scripts/summary-reporter.ts', { firstPhase: false }]],
  },
});
