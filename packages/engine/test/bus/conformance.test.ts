/**
 * One conformance suite for the EventBus port, run against the in-process bus and against the shared Redis
 * (TEST_REDIS_URL, default 127.0.0.1:6379), plus the cross-process cases only Redis can have (two bus instances = two engines).
 *
 * No test waits a fixed time to see that nothing (more) arrives: it publishes a marker after the events under test and
 * waits for it. A run's events are delivered in order, so a duplicate or a stray replay would have come before it.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { createRedisEventBus } from '../../src/adapters/bus/redis-event-bus.ts';
import { createEventBus } from '../../src/adapters/bus/create-event-bus.ts';
import type { ReadyEventBus } from '../../src/adapters/bus/bus-types.ts';
import type { BusMessage } from '../../src/platform/ports/index.ts';
import { testRedisKeyPrefix, testRedisUrl } from '@skyflo/testkit/services';

const redisUrl = testRedisUrl();
const testPrefix = testRedisKeyPrefix('bus-conformance');
const opened: ReadyEventBus[] = [];

function track(bus: ReadyEventBus): ReadyEventBus {
  opened.push(bus);
  return bus;
}

afterAll(async () => {
  await Promise.all(opened.map((bus) => bus.close()));
  const admin = new Redis(redisUrl);
  const leftovers = await admin.keys(`${testPrefix}*`);
  if (leftovers.length > 0) await admin.del(...leftovers);
  await admin.quit();
});

/** Subscribes and records what arrives; `until(n)` waits for n messages (or fails after 5 s). */
async function record(bus: ReadyEventBus, runId: string, options?: { afterIndex?: number }) {
  const messages: BusMessage[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const unsubscribe = await bus.subscribe(
    runId,
    (message) => {
      messages.push(message);
      for (const waiter of waiters) if (messages.length >= waiter.count) waiter.resolve();
    },
    options,
  );
  const until = (count: number) =>
    new Promise<void>((resolve, reject) => {
      if (messages.length >= count) return resolve();
      const timer = setTimeout(() => reject(new Error(`got ${messages.length} of ${count} messages`)), 5000);
      waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return { messages, unsubscribe, until, indexes: () => messages.map((message) => message.index) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, offset) => from + offset);

type Recorder = Awaited<ReturnType<typeof record>>;

/**
 * Publishes a marker on the run after everything else and waits until every recorder has it; returns what each
 * recorded before it. Delivery per run is in order, so whatever else was still to come has come.
 */
async function settle(bus: ReadyEventBus, runId: string, ...recorders: Recorder[]): Promise<BusMessage[][]> {
  const marker = await bus.publish(runId, 'marker', {});
  await vi.waitFor(() => {
    for (const recorder of recorders) expect(recorder.messages.some((message) => message.event === 'marker' && message.index === marker.index)).toBe(true);
  }, { timeout: 5000, interval: 5 });
  return recorders.map((recorder) => recorder.messages.filter((message) => message.event !== 'marker'));
}
const indexesOf = (messages: BusMessage[]) => messages.map((message) => message.index);

type BusOptions = { maxBufferedEvents?: number };
const backends: Array<[string, (options?: BusOptions) => ReadyEventBus]> = [
  ['memory', (options) => track(createMemoryEventBus(options))],
  ['redis', (options) => track(createRedisEventBus({ url: redisUrl, keyPrefix: testPrefix, ...options }))],
];

describe.each(backends)('EventBus conformance: %s', (_name, makeBus) => {
  it('numbers events per run from 1 and delivers them in order with their payloads', async () => {
    const bus = makeBus();
    const [runA, runB] = [randomUUID(), randomUUID()];
    const received = await record(bus, runA);
    const first = await bus.publish(runA, 'token', { text: 'Hel' });
    const second = await bus.publish(runA, 'token', { text: 'lo', list: [], nested: { ok: true } });
    const other = await bus.publish(runB, 'ready', { run_id: runB });
    expect([first.index, second.index, other.index]).toEqual([1, 2, 1]);
    await received.until(2);
    const [settled] = await settle(bus, runA, received);
    expect(settled).toEqual([
      { index: 1, event: 'token', data: { text: 'Hel' } },
      { index: 2, event: 'token', data: { text: 'lo', list: [], nested: { ok: true } } },
    ]);
  });

  it('replays missed events to a late subscriber, then continues live without duplicates', async () => {
    const bus = makeBus();
    const runId = randomUUID();
    for (const text of ['a', 'b', 'c']) await bus.publish(runId, 'token', { text });
    const late = await record(bus, runId);
    await bus.publish(runId, 'token', { text: 'd' });
    await bus.publish(runId, 'completed', { status: 'completed' });
    await late.until(5);
    const [settled] = await settle(bus, runId, late);
    expect(indexesOf(settled!)).toEqual([1, 2, 3, 4, 5]);
    expect(settled!.map((message) => message.data.text ?? message.data.status)).toEqual(['a', 'b', 'c', 'd', 'completed']);
  });

  it('resumes after afterIndex (an SSE Last-Event-ID)', async () => {
    const bus = makeBus();
    const runId = randomUUID();
    for (let count = 0; count < 5; count++) await bus.publish(runId, 'token', { n: count + 1 });
    const resumed = await record(bus, runId, { afterIndex: 3 });
    await bus.publish(runId, 'token', { n: 6 });
    await resumed.until(3);
    const [settled] = await settle(bus, runId, resumed); // the marker is event 7
    expect(indexesOf(settled!)).toEqual([4, 5, 6]);
    const caughtUp = await record(bus, runId, { afterIndex: 7 });
    expect(await settle(bus, runId, caughtUp)).toEqual([[]]);
  });

  it('loses and repeats nothing when publishes race the subscribe', async () => {
    const bus = makeBus();
    const runId = randomUUID();
    let published = 0;
    // One publish at a time, so the subscribe lands in the middle of the stream rather than after a batch.
    const publishing = (async () => {
      for (const n of range(1, 300)) published = (await bus.publish(runId, 'token', { n })).index;
    })();
    await vi.waitFor(() => expect(published).toBeGreaterThanOrEqual(20), { timeout: 5000, interval: 1 });
    const racing = await record(bus, runId);
    await publishing;
    await racing.until(300);
    const [settled] = await settle(bus, runId, racing);
    expect(indexesOf(settled!)).toEqual(range(1, 300));
    expect(settled!.map((message) => message.data.n)).toEqual(range(1, 300));
  });

  it('gives every subscriber every event, and stops delivering after unsubscribe', async () => {
    const bus = makeBus();
    const runId = randomUUID();
    const staying = await record(bus, runId);
    const leaving = await record(bus, runId);
    await bus.publish(runId, 'token', { n: 1 });
    await leaving.until(1);
    await leaving.unsubscribe();
    await leaving.unsubscribe();
    await bus.publish(runId, 'token', { n: 2 });
    await staying.until(2);
    // once the staying subscriber has the marker, the leaving one would have had n: 2 too
    const [settled] = await settle(bus, runId, staying);
    expect(indexesOf(settled!)).toEqual([1, 2]);
    expect(leaving.indexes()).toEqual([1]);
  });

  it('keeps delivering to others when one subscriber throws', async () => {
    const bus = makeBus();
    const runId = randomUUID();
    await bus.subscribe(runId, () => {
      throw new Error('broken subscriber');
    });
    const healthy = await record(bus, runId);
    await bus.publish(runId, 'token', { n: 1 });
    await bus.publish(runId, 'token', { n: 2 });
    await healthy.until(2);
    expect(healthy.indexes()).toEqual([1, 2]);
  });

  it('sets stop flags per run and fires onStop exactly once, even if registered after the stop', async () => {
    const bus = makeBus();
    const [runId, otherRun] = [randomUUID(), randomUUID()];
    expect(await bus.isStopRequested(runId)).toBe(false);
    let stops = 0;
    let otherStops = 0;
    let cancelledStops = 0;
    await bus.onStop(runId, () => stops++);
    await bus.onStop(otherRun, () => otherStops++);
    const cancel = await bus.onStop(runId, () => cancelledStops++);
    await cancel();
    // A witness: stops are delivered in the order they are requested, so once a later stop of another run has
    // fired, both of these have been delivered (and a second firing would have happened).
    const witnessRun = randomUUID();
    let witnessed!: () => void;
    const witnessFired = new Promise<void>((resolve) => (witnessed = resolve));
    await bus.onStop(witnessRun, () => witnessed());
    await bus.requestStop(runId);
    await bus.requestStop(runId);
    await bus.requestStop(witnessRun);
    await witnessFired;
    expect(stops).toBe(1);
    expect(cancelledStops).toBe(0);
    expect(otherStops).toBe(0);
    expect(await bus.isStopRequested(runId)).toBe(true);
    expect(await bus.isStopRequested(otherRun)).toBe(false);

    let lateStops = 0;
    await bus.onStop(runId, () => lateStops++);
    expect(lateStops).toBe(1);
  });

  it('delivers a burst of 10,000 events without loss, live and to a late subscriber', async () => {
    const bus = makeBus();
    const runId = randomUUID();
    const live = await record(bus, runId);
    const published = await Promise.all(range(1, 10_000).map((n) => bus.publish(runId, 'token', { n })));
    expect(published.map((message) => message.index)).toEqual(range(1, 10_000));
    await live.until(10_000);
    expect(live.indexes()).toEqual(range(1, 10_000));
    expect(live.messages.map((message) => message.data.n)).toEqual(range(1, 10_000));
    const late = await record(bus, runId, { afterIndex: 9_990 });
    expect(late.indexes()).toEqual(range(9_991, 10_000));
  });

  it('keeps only the newest maxBufferedEvents for replay', async () => {
    const bus = makeBus({ maxBufferedEvents: 5 });
    const runId = randomUUID();
    for (let count = 1; count <= 12; count++) await bus.publish(runId, 'token', { n: count });
    const late = await record(bus, runId);
    expect(late.indexes()).toEqual(range(8, 12));
    await bus.publish(runId, 'token', { n: 13 });
    await late.until(6);
    expect(late.indexes()).toEqual(range(8, 13));
  });

  it('refuses work after close', async () => {
    const bus = makeBus();
    await bus.publish(randomUUID(), 'token', { n: 1 });
    await bus.close();
    await bus.close();
    await expect(bus.publish(randomUUID(), 'token', { n: 2 })).rejects.toThrow(/closed/);
    await expect(bus.subscribe(randomUUID(), () => undefined)).rejects.toThrow(/closed/);
  });
});

describe('in-process bus expiry', () => {
  /**
   * Whether the bus still holds a run's buffer: a subscriber that comes and goes is replayed it. A probe keeps the run
   * for another TTL, so probes are spaced wider than the 50 ms TTL used here.
   */
  const holds = async (bus: ReadyEventBus, runId: string) => {
    const probe = await record(bus, runId);
    await probe.unsubscribe();
    return probe.messages.length > 0;
  };
  const probing = { timeout: 10_000, interval: 150 };

  it('forgets an idle run after bufferTtlSeconds and a stop flag after stopTtlSeconds', async () => {
    const bus = track(createMemoryEventBus({ bufferTtlSeconds: 0.05, stopTtlSeconds: 0.05 }));
    const runId = randomUUID();
    await bus.publish(runId, 'token', { n: 1 });
    await bus.requestStop(runId);
    expect(await bus.isStopRequested(runId)).toBe(true);
    await vi.waitFor(async () => expect(await bus.isStopRequested(runId)).toBe(false), probing);
    await vi.waitFor(async () => expect(await holds(bus, runId)).toBe(false), probing);
  });

  it('keeps a run that still has a subscriber', async () => {
    const bus = track(createMemoryEventBus({ bufferTtlSeconds: 0.05 }));
    const runId = randomUUID();
    const listening = await record(bus, runId);
    await bus.publish(runId, 'token', { n: 1 });
    // A witness instead of a pause: a run published after this one, with no subscriber. Once it is forgotten, this
    // one's TTL has passed too.
    const idle = randomUUID();
    await bus.publish(idle, 'token', { n: 1 });
    await vi.waitFor(async () => expect(await holds(bus, idle)).toBe(false), probing);
    expect((await bus.publish(runId, 'token', { n: 2 })).index).toBe(2);
    await listening.until(2);
    expect(listening.indexes()).toEqual([1, 2]);
    await listening.unsubscribe();
    await vi.waitFor(async () => expect(await holds(bus, runId)).toBe(false), probing);
  });
});

describe('EventBus across processes (Redis)', () => {
  const makePair = () => [
    track(createRedisEventBus({ url: redisUrl, keyPrefix: testPrefix })),
    track(createRedisEventBus({ url: redisUrl, keyPrefix: testPrefix })),
  ];

  it('shares one index sequence and one channel between two engine processes', async () => {
    const [engineA, engineB] = makePair();
    const runId = randomUUID();
    const onA = await record(engineA, runId);
    await Promise.all(range(1, 250).flatMap((n) => [engineA.publish(runId, 'a', { n }), engineB.publish(runId, 'b', { n })]));
    await onA.until(500);
    // The other process attaches late (e.g. an approval stream on another replica) and catches up.
    const onB = await record(engineB, runId, { afterIndex: 100 });
    await engineB.publish(runId, 'completed', { status: 'completed' });
    await onA.until(501);
    await onB.until(401);
    const [settledA, settledB] = await settle(engineA, runId, onA, onB);
    expect(indexesOf(settledA!)).toEqual(range(1, 501));
    expect(indexesOf(settledB!)).toEqual(range(101, 501));
    expect(onA.messages.filter((message) => message.event === 'a').map((message) => message.data.n)).toEqual(range(1, 250));
    expect(onA.messages.filter((message) => message.event === 'b').map((message) => message.data.n)).toEqual(range(1, 250));
  });

  it('delivers a stop requested on one process to the run on the other, with a 600 s flag', async () => {
    const [engineA, engineB] = makePair();
    const runId = randomUUID();
    let stopsSeen = 0;
    const stopped = new Promise<void>((resolve) => {
      void engineA.onStop(runId, () => {
        stopsSeen += 1;
        resolve();
      });
    });
    // Nothing fires before the request: a stop of another run, requested on B and seen on A, shows A listening.
    const witnessRun = randomUUID();
    let witnessed!: () => void;
    const witnessFired = new Promise<void>((resolve) => (witnessed = resolve));
    await engineA.onStop(witnessRun, () => witnessed());
    await engineB.requestStop(witnessRun);
    await witnessFired;
    expect(stopsSeen).toBe(0);
    await engineB.requestStop(runId);
    await stopped;
    expect(stopsSeen).toBe(1);
    expect(await engineA.isStopRequested(runId)).toBe(true);
    const admin = new Redis(redisUrl);
    const ttl = await admin.ttl(`${testPrefix}stop:${runId}`);
    const bufferTtl = await (async () => {
      await engineA.publish(runId, 'token', { n: 1 });
      return admin.ttl(`${testPrefix}run:${runId}:events`);
    })();
    await admin.quit();
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(bufferTtl).toBeGreaterThan(3500);
    expect(bufferTtl).toBeLessThanOrEqual(3600);
  });

  it('fills a gap from the buffer when a live message was lost (e.g. a dropped subscriber connection)', async () => {
    const [engine] = makePair();
    const runId = randomUUID();
    const received = await record(engine, runId);
    await engine.publish(runId, 'token', { n: 1 });
    // Written to the buffer but never published: what a subscriber misses while reconnecting.
    const admin = new Redis(redisUrl);
    const lostIndex = await admin.incr(`${testPrefix}run:${runId}:index`);
    await admin.zadd(`${testPrefix}run:${runId}:events`, lostIndex, JSON.stringify({ index: lostIndex, event: 'token', data: { n: 2 } }));
    await admin.quit();
    await engine.publish(runId, 'token', { n: 3 });
    await received.until(3);
    const [settled] = await settle(engine, runId, received);
    expect(settled!.map((message) => message.data.n)).toEqual([1, 2, 3]);
  });

  it('recovers events and stops sent while its subscriber connection was down, without a later event', async () => {
    const prefix = `${testPrefix}reconnect-`;
    const engine = track(createRedisEventBus({ url: redisUrl, keyPrefix: prefix }));
    const otherEngine = track(createRedisEventBus({ url: redisUrl, keyPrefix: prefix }));
    const runId = randomUUID();
    const received = await record(engine, runId);
    let stopped = false;
    await engine.onStop(runId, () => (stopped = true));
    await engine.publish(runId, 'token', { n: 1 });
    await received.until(1);

    const admin = new Redis(redisUrl);
    const clients = String(await admin.client('LIST')).split('\n');
    const subscriberIds = clients.filter((line) => line.includes(`name=${prefix}event-bus-subscriber`)).map((line) => /id=(\d+)/.exec(line)![1]);
    expect(subscriberIds).toHaveLength(2);
    await admin.client('KILL', 'ID', subscriberIds[0]);
    await admin.client('KILL', 'ID', subscriberIds[1]);
    // Published through the publisher connections, which stay up, while no subscriber is listening.
    await engine.publish(runId, 'token', { n: 2 });
    await engine.publish(runId, 'completed', { status: 'completed' });
    await otherEngine.requestStop(runId);
    await admin.quit();

    await received.until(3);
    const [settled] = await settle(engine, runId, received);
    expect(settled!.map((message) => message.data.n ?? message.data.status)).toEqual([1, 2, 'completed']);
    await expect.poll(() => stopped).toBe(true);
  });

  it('closes both of its connections', async () => {
    const bus = createRedisEventBus({ url: redisUrl, keyPrefix: `${testPrefix}close-` });
    await bus.ready();
    const admin = new Redis(redisUrl);
    const ours = async () => String(await admin.client('LIST')).split('\n').filter((line) => line.includes(`name=${testPrefix}close-`)).length;
    expect(await ours()).toBe(2);
    await bus.close();
    await vi.waitFor(async () => expect(await ours()).toBe(0), { timeout: 5000, interval: 20 });
    await admin.quit();
  });

  it('names REDIS_URL when Redis cannot be reached', async () => {
    const bus = await createEventBus({ redisUrl: 'redis://:secret@127.0.0.1:1/0' });
    const failure = await bus.ready().then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0 \(REDIS_URL\): .*ECONNREFUSED/);
    expect(failure?.message).not.toContain('secret');
    await expect(bus.publish('run', 'token', {})).rejects.toThrow(/REDIS_URL/);
    await bus.close();
    expect(() => createRedisEventBus({ url: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL must start with redis:\/\//);
  });

  it('uses the in-process bus when REDIS_URL is unset', async () => {
    const bus = track(await createEventBus({}));
    await bus.ready();
    expect((await bus.publish('run', 'token', {})).index).toBe(1);
  });
});
