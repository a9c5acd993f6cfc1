/**
 * Event bus latency: publish → deliver, p50/p99, for the in-process bus and for Redis, with 1, 100 and 1,000
 * runs streaming at once (each run publishes one event at a time, as the agent does). Prints the Redis/memory
 * ratio measured in the same run.
 *
 *   npx tsx bench/bus-throughput.ts [--redis-url redis://127.0.0.1:6379/0] [--events 20000]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createMemoryEventBus, createRedisEventBus } from '@skyflo/engine/testing';
import type { ReadyEventBus } from '@skyflo/engine/testing';
import { printBenchHeader } from './support/bench-header.ts';
import { testRedisKeyPrefix, testRedisUrl } from '@skyflo/testkit/services';
import { percentile } from './support/statistics.ts';

printBenchHeader('bus-throughput', 'none (measures the event bus: in-process and Redis on 127.0.0.1:6379)');

export interface BusLatency {
  backend: 'memory' | 'redis';
  runs: number;
  events: number;
  p50Ms: number;
  p99Ms: number;
  eventsPerSecond: number;
}

async function measure(bus: ReadyEventBus, backend: BusLatency['backend'], runs: number, totalEvents: number): Promise<BusLatency> {
  const perRun = Math.max(1, Math.floor(totalEvents / runs));
  const latencies: number[] = [];
  const runIds = Array.from({ length: runs }, () => randomUUID());
  let pending = runs * perRun;
  let done!: () => void;
  const allDelivered = new Promise<void>((resolve) => (done = resolve));
  const unsubscribes = await Promise.all(
    runIds.map((runId) =>
      bus.subscribe(runId, (message) => {
        latencies.push(performance.now() - (message.data.sentAt as number));
        if (--pending === 0) done();
      }),
    ),
  );
  const started = performance.now();
  await Promise.all(
    runIds.map(async (runId) => {
      for (let count = 0; count < perRun; count++) await bus.publish(runId, 'token', { text: 'tok', sentAt: performance.now() });
    }),
  );
  await allDelivered;
  const elapsedMs = performance.now() - started;
  await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe()));
  return {
    backend,
    runs,
    events: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    eventsPerSecond: Math.round((latencies.length / elapsedMs) * 1000),
  };
}

export async function runBusThroughput(options: { redisUrl: string; events: number; runCounts?: number[] }): Promise<BusLatency[]> {
  const prefix = testRedisKeyPrefix('bench');
  const memory = createMemoryEventBus();
  const redis = createRedisEventBus({ url: options.redisUrl, keyPrefix: prefix });
  await redis.ready();
  const results: BusLatency[] = [];
  try {
    // Warm-up: JIT, connections and the Lua script cache, so the first scenario is not penalised.
    await measure(memory, 'memory', 10, 2000);
    await measure(redis, 'redis', 10, 2000);
    for (const runs of options.runCounts ?? [1, 100, 1000]) {
      results.push(await measure(memory, 'memory', runs, options.events));
      results.push(await measure(redis, 'redis', runs, options.events));
    }
  } finally {
    await memory.close();
    await redis.close();
    const admin = new Redis(options.redisUrl);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  }
  return results;
}

function printTable(results: BusLatency[]): void {
  const rows = [...new Set(results.map((result) => result.runs))].map((runs) => {
    const memory = results.find((result) => result.runs === runs && result.backend === 'memory')!;
    const redis = results.find((result) => result.runs === runs && result.backend === 'redis')!;
    const micro = (ms: number) => (ms * 1000).toFixed(1);
    return {
      'concurrent runs': runs,
      events: memory.events,
      'memory p50 µs': micro(memory.p50Ms),
      'memory p99 µs': micro(memory.p99Ms),
      'memory ev/s': memory.eventsPerSecond,
      'redis p50 µs': micro(redis.p50Ms),
      'redis p99 µs': micro(redis.p99Ms),
      'redis ev/s': redis.eventsPerSecond,
      // Memory delivers synchronously (≈1 µs), so the ratio is large by construction; the added ms matter more.
      'p99 redis/memory': `${Math.round(redis.p99Ms / Math.max(memory.p99Ms, 0.001))}×`,
      'throughput memory/redis': `${(memory.eventsPerSecond / redis.eventsPerSecond).toFixed(1)}×`,
    };
  });
  console.table(rows);
  console.log('Each run publishes its next event as soon as the previous publish resolved (a stress rate, far above');
  console.log('a model streaming ~50 tokens/s); latency is queueing in one process that both publishes and subscribes.');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { 'redis-url': { type: 'string', default: testRedisUrl() }, events: { type: 'string', default: '20000' } } });
  const results = await runBusThroughput({ redisUrl: values['redis-url']!, events: Number(values.events) });
  printTable(results);
}
