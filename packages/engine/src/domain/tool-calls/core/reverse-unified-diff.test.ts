import { describe, expect, it } from 'vitest';
import { reverseUnifiedDiff } from './baseline.ts';

/** A rollback's preview as k8s_diff / preview_tool_call returns it: the change's summary, then the diff. */
const forward = [
  'deployment.apps/api rolled back to revision 1 (server dry run)',
  '',
  '--- live/deployment.apps/api',
  '+++ would-be/deployment.apps/api',
  '@@ -23,7 +23,7 @@',
  '     spec:',
  '       containers:',
  '         - name: main',
  '-          image: nginx:1.28',
  '+          image: nginx:1.27',
  '           imagePullPolicy: IfNotPresent',
].join('\n');

describe('the inverse diff under "Approve with automatic revert" (issue 37 item 8)', () => {
  it("carries the inverse's own header, not the forward action's, and lists − before +", () => {
    const inverse = reverseUnifiedDiff(forward, 'deployment.apps/api rolled back to revision 2');
    expect(inverse.split('\n')).toEqual([
      'deployment.apps/api rolled back to revision 2',
      '',
      '--- would-be/deployment.apps/api',
      '+++ live/deployment.apps/api',
      '@@ -23,7 +23,7 @@',
      '     spec:',
      '       containers:',
      '         - name: main',
      '-          image: nginx:1.27',
      '+          image: nginx:1.28',
      '           imagePullPolicy: IfNotPresent',
    ]);
    expect(inverse).not.toContain('revision 1');
  });

  it('a bare diff (no header) is reversed as is, runs of several lines keep their order within each side', () => {
    const bare = ['--- a', '+++ b', '@@ -1,3 +1,3 @@', '-one', '-two', '+uno', '+dos', ' three'].join('\n');
    expect(reverseUnifiedDiff(bare).split('\n')).toEqual(['--- b', '+++ a', '@@ -1,3 +1,3 @@', '-uno', '-dos', '+one', '+two', ' three']);
  });
});
