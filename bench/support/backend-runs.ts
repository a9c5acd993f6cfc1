/**
 * The growth benches' common frame (issue 79): measure on PGlite and then on Postgres (or the one `--storage` names),
 * each size in a database of its own, judge each backend on what a shared machine distorts least, and end with
 * whether every goal was met — or fail loudly when the work could not be done (bench-header.ts failBench).
 */
import { failBench, machineLoad } from './bench-header.ts';
import { postgresUnavailable, withBenchPostgresDatabase } from './bench-postgres.ts';
import type { GrowthPoint } from './growth.ts';

export type Backend = 'PGlite' | 'Postgres';

/** A request's median and fastest answer over the repeats, and the engine process's CPU per request. */
export interface Timing {
  median: number;
  fastest: number;
  cpu: number;
}

/**
 * The figure a backend's goal is judged on: the engine's CPU on PGlite (the database works on its thread), the fastest
 * answer on Postgres (whose CPU is its own server's, not the engine's).
 */
export function judgedOn(backend: Backend): { pick: (timing: Timing) => number; measure: string } {
  return backend === 'PGlite' ? { pick: (timing) => timing.cpu, measure: 'engine CPU' } : { pick: (timing) => timing.fastest, measure: 'fastest answer' };
}

/** `measure` at each size, on PGlite in a data dir or in a fresh Postgres database per size; and a picker of points. */
export async function measureAtSizes<Figures>(backend: Backend, sizes: readonly number[], measure: (backend: Backend, size: number, postgresUrl?: string) => Promise<Figures>) {
  const measured: Array<{ size: number; figures: Figures }> = [];
  for (const size of sizes) measured.push({ size, figures: backend === 'PGlite' ? await measure(backend, size) : await withBenchPostgresDatabase((url) => measure(backend, size, url)) });
  return { measured, points: (pick: (figures: Figures) => number): GrowthPoint[] => measured.map((entry) => ({ size: entry.size, value: pick(entry.figures) })) };
}

/** Runs `run` on the backends `storage` asks for (default both; Postgres skipped, said, when unavailable) and ends the bench. */
export async function runOnBackends(storage: string | undefined, run: (backend: Backend) => Promise<boolean>): Promise<void> {
  try {
    let met = true;
    if (storage !== 'postgres') met = (await run('PGlite')) && met;
    if (storage !== 'pglite') {
      const unavailable = await postgresUnavailable();
      if (unavailable) {
        if (storage === 'postgres') failBench(unavailable);
        console.log(`  Postgres rows skipped: ${unavailable}`);
      } else met = (await run('Postgres')) && met;
    }
    console.log(`  ${met ? 'every goal met' : 'a goal was NOT met (see above)'}; ${machineLoad()}`);
  } catch (error) {
    failBench(error instanceof Error ? error.message : String(error));
  }
}
