import { defineConfig } from 'vitest/config';
import { imageTest } from './vitest.config.ts';

/**
 * The second phase of `npm test`: the container image test alone, after every other suite has finished, so the image
 * build has the machine to itself. The summary reporter adds the first phase's totals, so the last line printed is
 * the total of the whole run.
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
