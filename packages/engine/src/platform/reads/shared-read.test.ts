import { describe, expect, it } from 'vitest';
import { sharedRead } from './shared-read.ts';

/** A read whose answer the test hands over when it likes. */
function controlledReads() {
  const started: Array<(value: number) => void> = [];
  return { started, read: () => new Promise<number>((resolve) => started.push(resolve)) };
}

describe('sharedRead', () => {
  it('gives callers that ask while a read is in flight that read, and starts a new one once it settled', async () => {
    const reads = controlledReads();
    const shared = sharedRead(reads.read);
    const first = shared.read();
    const second = shared.read();
    expect(reads.started).toHaveLength(1);
    reads.started[0]!(1);
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    const third = shared.read();
    expect(reads.started).toHaveLength(2);
    reads.started[1]!(2);
    expect(await third).toBe(2);
  });

  it('hands nobody a read started before a write once forget() was called', async () => {
    const reads = controlledReads();
    const shared = sharedRead(reads.read);
    const before = shared.read();
    shared.forget();
    const after = shared.read();
    expect(reads.started).toHaveLength(2);
    reads.started[1]!(2);
    reads.started[0]!(1);
    expect(await before).toBe(1);
    expect(await after).toBe(2);
    // the older read settling does not clear the newer one
    expect(reads.started).toHaveLength(2);
  });

  it('shares a failure with the callers in flight only', async () => {
    let calls = 0;
    const shared = sharedRead(async () => {
      calls += 1;
      if (calls === 1) throw new Error('database down');
      return calls;
    });
    const failing = [shared.read(), shared.read()];
    await expect(Promise.all(failing)).rejects.toThrow('database down');
    expect(calls).toBe(1);
    expect(await shared.read()).toBe(2);
  });
});
