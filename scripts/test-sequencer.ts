import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The project whose files each start a whole product: a browser, engines, simulators (vitest.config.ts). */
export const flowsProject = 'e2e';

/**
 * Started before every other file: the type check (scripts/test/typecheck.test.ts), one compiler process on one core
 * for a minute or more, which as the run's last file would be its tail, and as a step before the run left the other
 * core idle.
 */
export const startFirst = ['scripts/test/typecheck.test.ts'];

/**
 * Spreads `flows` evenly through `others`, keeping each list's own order: the i-th of k flows goes at about position
 * i·n/k of the n files in all. The first flow stays first.
 */
export function interleave<T>(flows: readonly T[], others: readonly T[]): T[] {
  const total = flows.length + others.length;
  const result: T[] = [];
  let flowIndex = 0;
  let otherIndex = 0;
  for (let position = 0; position < total; position += 1) {
    const flowDue = flowIndex < flows.length && (otherIndex >= others.length || position >= Math.floor((flowIndex * total) / flows.length));
    result.push(flowDue ? flows[flowIndex++]! : others[otherIndex++]!);
  }
  return result;
}

/**
 * vitest's own order (per project: larger or slower files first), then the whole-product flows spread evenly through
 * the other files instead of run as a block. vitest sorts project by project, so the flows all ran first, two at a
 * time: each starts a browser, engines and simulators, and two of them on two cores kept 9–12 processes waiting to
 * run — the eval suite took 374 s beside the browser suites against ~150 s beside the package suites. Spread, about
 * one flow runs beside a package suite at any time, and the longest flows still start first.
 */
export default class FlowsSpreadSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return runOrder(await super.sort(files), {
      first: (file) => startFirst.some((name) => file.moduleId.endsWith(`/${name}`)),
      flow: (file) => file.project.name === flowsProject,
    });
  }
}

/** The files `first` picks, then the rest with the flows spread through the other files (each list in its own order). */
export function runOrder<T>(sorted: readonly T[], is: { first: (file: T) => boolean; flow: (file: T) => boolean }): T[] {
  const rest = sorted.filter((file) => !is.first(file));
  return [...sorted.filter(is.first), ...interleave(rest.filter(is.flow), rest.filter((file) => !is.flow(file)))];
}
