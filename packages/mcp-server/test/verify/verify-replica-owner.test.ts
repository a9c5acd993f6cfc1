/** Issue 31 (9): what an HPA's min/max make of the replica count a call set (kube/replica-owner.ts). */
import { describe, expect, it } from 'vitest';
import { ownsReplicas, predictReplicaOwner } from '../../src/kube/replica-owner.ts';

const hpa = { controller: 'HorizontalPodAutoscaler shop/web', minReplicas: 2, maxReplicas: 4, syncSeconds: 15 };

describe('predictReplicaOwner', () => {
  it.each([
    ['above maxReplicas: set back to max', 6, { replicas: 4, why: '6 is above its maxReplicas 4' }],
    ['below minReplicas: set back to min', 1, { replicas: 2, why: '1 is below its minReplicas 2' }],
    ['inside the range: its metrics decide', 3, undefined],
    ['at the bounds', 4, undefined],
    ['0 with minReplicas above 0: the HPA turns itself off', 0, undefined],
  ])('%s', (_name, replicas, expected) => {
    expect(predictReplicaOwner(hpa, replicas)).toEqual(expected);
  });

  it.each([
    [0, 2, false],
    [0, 0, true],
    [3, 2, true],
  ])('scaled to %i with minReplicas %i, the HPA owns replicas: %s', (replicas, minReplicas, owns) => {
    expect(ownsReplicas({ ...hpa, minReplicas }, replicas)).toBe(owns);
  });
});
