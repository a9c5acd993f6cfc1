/** The small ports native describe is built on: Go's tabwriter, apimachinery's HumanDuration, label selectors. */
import { describe, expect, it } from 'vitest';
import { formatTabbed } from '../../src/tools/kubectl/describe/tab-writer.ts';
import { humanDuration, matchesSelector, selectorString } from '../../src/tools/kubectl/describe/describe-format.ts';

describe('tabwriter (padding 2, as kubectl describe configures it)', () => {
  it('aligns a column over consecutive lines that have it, and restarts after a line without it', () => {
    const text = 'Name:\tweb\nNamespace:\tprod\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/web\n';
    expect(formatTabbed(text)).toBe('Name:       web\nNamespace:  prod\nIPs:\n  IP:           10.0.0.1\nControlled By:  ReplicaSet/web\n');
  });

  it('pads empty cells and leaves the last cell of a line unpadded', () => {
    expect(formatTabbed('Type\tStatus\nReady \tTrue \nPodScheduled \tTrue \n')).toBe('Type           Status\nReady          True \nPodScheduled   True \n');
    expect(formatTabbed('Medium:\t\nSizeLimit:\t<unset>\n')).toBe('Medium:     \nSizeLimit:  <unset>\n');
  });

  it('measures cells in characters, not bytes', () => {
    expect(formatTabbed('é:\tx\nab:\ty\n')).toBe('é:   x\nab:  y\n');
  });
});

describe('HumanDuration', () => {
  it.each([
    [0, '0s'], [-1500, '0s'], [-3000, '<invalid>'], [119_000, '119s'], [120_000, '2m'], [125_000, '2m5s'], [600_000, '10m'],
    [3 * 3600_000, '3h'], [3.5 * 3600_000, '3h30m'], [8 * 3600_000, '8h'], [47 * 3600_000, '47h'], [48 * 3600_000, '2d'],
    [50 * 3600_000, '2d2h'], [8 * 86400_000, '8d'], [400 * 86400_000, '400d'], [730 * 86400_000, '2y'], [800 * 86400_000, '2y70d'], [8 * 365 * 86400_000, '8y'],
  ])('%i ms → %s', (milliseconds, expected) => {
    expect(humanDuration(milliseconds)).toBe(expected);
  });
});

describe('label selectors', () => {
  const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'api'] }, { key: 'canary', operator: 'DoesNotExist' }] };
  it('print as kubectl prints them, sorted by key', () => {
    expect(selectorString(selector)).toBe('app=web,!canary,tier in (api,front)');
    expect(selectorString({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }, { key: 'app', operator: 'Exists' }] })).toBe('app,env notin (prod)');
    expect(selectorString(undefined)).toBe('');
  });

  it('match labels like the API server does', () => {
    expect(matchesSelector({ app: 'web', tier: 'api' }, selector)).toBe(true);
    expect(matchesSelector({ app: 'web', tier: 'db' }, selector)).toBe(false);
    expect(matchesSelector({ app: 'web', tier: 'api', canary: 'true' }, selector)).toBe(false);
    expect(matchesSelector({ tier: 'api' }, selector)).toBe(false);
    expect(matchesSelector({ anything: 'x' }, undefined)).toBe(true);
  });
});
