/**
 * Observability for the composition root (create-engine.ts): the dependency probes behind /health, /readyz, the
 * metrics and a new run's 503; the metrics; the idle heap trim; the instrumented bus every run event goes through;
 * and the watch that names a full disk under the database.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { EventBus, PlatformStorage } from '../platform/ports/index.ts';
import { createDependencyProbes } from '../platform/observability/dependency-probes.ts';
import { instrumentEventBus } from '../platform/observability/instrument-bus.ts';
import { createEngineMetrics } from '../platform/observability/metrics.ts';
import { createIdleHeapTrim } from '../platform/memory/idle-heap-trim.ts';
import { createDiskWatch, createServerDiskWatch } from '../platform/storage-faults/disk-full.ts';

export interface ObservabilityDeps {
  storage: PlatformStorage;
  /** the bus as opened (its own ping and health); the instrumented one is returned */
  rawBus: EventBus;
  /** the app's logger, once it exists */
  logger: { debug(object: unknown, message?: string): void };
}

export function createObservability(deps: ObservabilityDeps) {
  const { storage, rawBus } = deps;
  // Issue 75: one real round trip per dependency, shared by /health, /readyz, the metrics and the 503 of a new run.
  const dependencies = createDependencyProbes({
    probes: {
      database: () => storage.ping(),
      bus: async () => {
        await rawBus.ping?.();
        const said = rawBus.health();
        if (said.status !== 'ok') throw new Error(said.detail);
      },
    },
  });
  const metrics = createEngineMetrics({ database: () => dependencies.require(['database']), bus: async () => (await dependencies.check()).bus.ok });
  // Everything that publishes or streams run events goes through the instrumented bus (runs, tools, tokens, SSE).
  // An idle engine gives back the young generation start-up and bursts of runs grew (memory/idle-heap-trim.ts).
  const heapTrim = createIdleHeapTrim({ logger: { debug: (object, message) => deps.logger.debug(object, message) } });
  const bus = instrumentEventBus(rawBus, metrics, heapTrim.noteActivity);
  return { dependencies, metrics, heapTrim, bus };
}

/**
 * A full disk under the database is named (507 STORAGE_FULL, /health degraded): the embedded database's data dir,
 * or the database server's disk as the writes it refuses show it (issue 75).
 */
export function watchDatabaseDisk({ ownsWholeDatabase, dataDir, storage }: { ownsWholeDatabase: boolean; dataDir: string; storage: PlatformStorage }) {
  return ownsWholeDatabase ? createDiskWatch({ dataDir }) : createServerDiskWatch({ label: storage.label ?? 'the database' });
}

/** A logger that writes through the app's logger once it exists (every module is made before the app). */
export function lateLogger(current: () => Pick<FastifyBaseLogger, 'error' | 'warn' | 'info' | 'debug'> | undefined) {
  return {
    error: (object: unknown, message?: string) => current()?.error(object, message),
    warn: (object: unknown, message?: string) => current()?.warn(object, message),
    info: (object: unknown, message?: string) => current()?.info(object, message),
    debug: (object: unknown, message?: string) => current()?.debug(object, message),
  };
}
