import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdleHeapTrim, fullCollection, youngGenerationBytes } from './idle-heap-trim.ts';

const MiB = 1024 * 1024;

describe('idle heap trim', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  /** `shrinks`: whether a collection gives the young generation back (V8 sometimes leaves it as it was) */
  function trimWith(young: { bytes: number }, shrinks = true) {
    const collections: number[] = [];
    const trim = createIdleHeapTrim({
      tickMs: 1_000,
      quietTicks: 2,
      minGapMs: 10_000,
      now: () => Date.now(),
      youngGenerationBytes: () => young.bytes,
      collect: () => {
        collections.push(Date.now());
        if (shrinks) young.bytes = 1 * MiB;
      },
    });
    trim.start();
    return { trim, collections };
  }

  it('collects once after start-up, after two whole quiet ticks, and not again while the process stays idle', async () => {
    const start = Date.now();
    const { trim, collections } = trimWith({ bytes: 30 * MiB });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(collections).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collections).toEqual([start + 3_000]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(collections).toHaveLength(1);
    trim.stop();
  });

  it('never collects while requests or run events keep coming, then does once they stop', async () => {
    const young = { bytes: 30 * MiB };
    const { trim, collections } = trimWith(young);
    for (let second = 0; second < 30; second += 1) {
      trim.noteActivity();
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(collections).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(collections).toHaveLength(1);
    trim.stop();
  });

  it('leaves a young generation under the limit alone, and collects at most once per gap after a burst', async () => {
    const young = { bytes: 4 * MiB };
    const { trim, collections } = trimWith(young);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(collections).toEqual([]);

    // a burst grows it, and the process goes quiet: collected
    young.bytes = 28 * MiB;
    trim.noteActivity();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(collections).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collections).toHaveLength(1);
    // another burst right after: not before the gap has passed since the last collection
    young.bytes = 28 * MiB;
    trim.noteActivity();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(collections).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(collections).toHaveLength(2);
    trim.stop();
  });

  it('tries again on the next quiet ticks when a collection left the young generation as it was, three times per round', async () => {
    const start = Date.now();
    const { trim, collections } = trimWith({ bytes: 30 * MiB }, false);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(collections.map((at) => at - start)).toEqual([3_000, 4_000, 5_000]);
    // the next round, once the gap has passed since the first one began
    await vi.advanceTimersByTimeAsync(6_000);
    expect(collections.map((at) => at - start)).toEqual([3_000, 4_000, 5_000, 13_000, 14_000, 15_000]);
    // a request ends the round; once quiet again, the next round begins when the gap since the last one has passed
    trim.noteActivity();
    await vi.advanceTimersByTimeAsync(12_000);
    expect(collections.map((at) => at - start).slice(6)).toEqual([23_000, 24_000, 25_000]);
    trim.stop();
  });

  it("uses V8's own collection without leaving gc exposed to other code", () => {
    const collect = fullCollection();
    expect(typeof collect).toBe('function');
    expect(() => collect()).not.toThrow();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    expect(youngGenerationBytes()).toBeGreaterThan(0);
  });
});
