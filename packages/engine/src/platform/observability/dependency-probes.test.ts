import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDependencyProbes, DependencyUnavailableError } from './dependency-probes.ts';

/** A probe the test answers: each call waits until the test settles it. */
function scriptedProbe() {
  const calls: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  return {
    calls,
    probe: () => new Promise<void>((resolve, reject) => void calls.push({ resolve, reject })),
  };
}

let clock = 0;
beforeEach(() => {
  vi.useFakeTimers();
  clock = 0;
});
afterEach(() => vi.useRealTimers());

const probesWith = (database: () => Promise<void>, bus: () => Promise<void>) => createDependencyProbes({ probes: { database, bus }, timeoutMs: 2_000, maxAgeMs: 1_000, now: () => clock });

describe('dependency probes', () => {
  it('a probe that never answers counts as failing once its timeout passes (a frozen Redis keeps its sockets open)', async () => {
    const bus = scriptedProbe();
    const probes = probesWith(async () => {}, bus.probe);
    const checked = probes.check();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await checked).toEqual({ database: { ok: true }, bus: { ok: false, detail: 'no answer within 2000 ms' } });
  });

  it('require answers 503 naming the first failing dependency, with Retry-After', async () => {
    const probes = probesWith(async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')), async () => {});
    const refusal = await probes.require(['database', 'bus']).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DependencyUnavailableError);
    expect(refusal).toMatchObject({ statusCode: 503, code: 'STORAGE_UNAVAILABLE', retryAfterSeconds: 5, message: 'The database is not answering (connect ECONNREFUSED 127.0.0.1:5432), so this cannot start now. Retry in 5 seconds; GET /readyz answers 200 once it is back.' });
    await expect(probes.require(['bus'])).resolves.toBeUndefined();
  });

  it('a burst shares one round trip, and a result is reused only while it is young', async () => {
    const database = scriptedProbe();
    const probes = probesWith(database.probe, async () => {});
    const burst = [probes.require(['database']), probes.require(['database']), probes.check()];
    await vi.advanceTimersByTimeAsync(0);
    expect(database.calls).toHaveLength(1);
    database.calls[0]!.resolve();
    await Promise.all(burst);
    clock = 999;
    await probes.require(['database']);
    expect(database.calls).toHaveLength(1);
    clock = 1_000;
    const again = probes.require(['database']);
    await vi.advanceTimersByTimeAsync(0);
    expect(database.calls).toHaveLength(2);
    database.calls[1]!.reject(new Error('Connection terminated unexpectedly'));
    await expect(again).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });

  it('after a timed-out probe the next check starts a new round trip rather than wait on the hung one', async () => {
    const bus = scriptedProbe();
    const probes = probesWith(async () => {}, bus.probe);
    const first = probes.require(['bus']).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await first).toMatchObject({ code: 'EVENT_BUS_UNAVAILABLE' });
    clock = 1_000;
    const second = probes.require(['bus']);
    await vi.advanceTimersByTimeAsync(0);
    expect(bus.calls).toHaveLength(2);
    bus.calls[1]!.resolve();
    await expect(second).resolves.toBeUndefined();
  });
});
