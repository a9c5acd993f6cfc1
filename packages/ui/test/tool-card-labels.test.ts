/** What a tool card's header says about its call (issue 23 item 8): the arguments that tell calls apart, and a cut output. */
import { describe, expect, it } from 'vitest';
import { distinguishingArgs, outputCut } from '../src/lib/tool-card-labels.ts';

describe('tool card header', () => {
  it('names the arguments that differ between two calls of one tool, leaving out what the target already shows', () => {
    const first = distinguishingArgs({ resource_type: 'pods', namespace: 'prod', label_selector: 'app=web', all_namespaces: false });
    const second = distinguishingArgs({ resource_type: 'pods', namespace: 'prod', label_selector: 'app=api', all_namespaces: false });
    expect(first).toBe('label_selector=app=web');
    expect(second).toBe('label_selector=app=api');
    expect(distinguishingArgs({ resource_type: 'pods', namespace: 'prod' })).toBeUndefined();
    expect(distinguishingArgs({ command: 'x'.repeat(200) })!.length).toBeLessThanOrEqual(80);
  });

  it('reads the engine\'s output-cut note, so the header can say the output was truncated', () => {
    const text = 'line 1\nline 2\n[output cut: showing the first 2 of 5000 lines (14 of 90000 bytes).]';
    expect(outputCut(text)).toBe('showing the first 2 of 5000 lines (14 of 90000 bytes).');
    expect(outputCut('line 1\nline 2')).toBeUndefined();
  });
});
