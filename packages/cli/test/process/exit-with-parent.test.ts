/** exitWithParent on its own, with an injected parent pid: silent while the parent stays, fires once it changes. */
import { describe, expect, it, vi } from 'vitest';
import { exitWithParent } from '../../src/exit-with-parent.ts';

describe('exitWithParent', () => {
  it('says nothing while the parent pid stays the same, then reports the former parent when it changes', async () => {
    let parent = 4242;
    let reads = 0;
    const gone: number[] = [];
    const stop = exitWithParent({ parentPid: () => (reads++, parent), onParentGone: (former) => gone.push(former), intervalMs: 1 });
    // several checks have run (counted, not timed) and none fired
    await vi.waitFor(() => expect(reads).toBeGreaterThan(5));
    expect(gone).toEqual([]);
    parent = 1; // re-parented to init: the process that started this one has ended
    await vi.waitFor(() => expect(gone).toEqual([4242]));
    stop();
  });
});
