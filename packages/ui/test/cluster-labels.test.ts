/**
 * What the Command Center says about clusters (issue 22): the approval card's headline, the cluster on every tool
 * card, the home page's health strip, and the Settings editors' parsing (policies per cluster, member scope).
 */
import type { ClusterStatus } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { clusterHeadline, clusterOfCall, describeScope, healthStrip, invalidPatterns, labelBadge, parseList, policiesOf, scopeFromFields, withClusterPolicies } from '../src/components/clusters/cluster-labels.ts';
import { distinguishingArgs } from '../src/lib/tool-card-labels.ts';

describe('the cluster of a call', () => {
  it('the approval names the cluster it is bound to and the namespace: "prod-eu · namespace payments"', () => {
    const tool = { args: { name: 'web', namespace: 'ignored-when-facts-say', replicas: 3 }, cluster: { name: 'prod-eu', server: 'https://prod-eu:6443', label: 'prod' }, namespace: 'payments' };
    expect(clusterHeadline(tool)).toBe('prod-eu · namespace payments');
    expect(clusterOfCall(tool)?.server).toBe('https://prod-eu:6443');
  });

  it('a call without approval facts names the cluster from its context argument, and its namespace argument', () => {
    expect(clusterHeadline({ args: { context: 'beta', namespace: 'shop', resource_type: 'pods' } })).toBe('beta · namespace shop');
    expect(clusterHeadline({ args: { context: 'beta', resource_type: 'nodes' } })).toBe('beta');
    expect(clusterHeadline({ args: { context: 'beta', resource_type: 'pods', all_namespaces: true } })).toBe('beta · all namespaces');
    // a call that says nothing about its cluster gets no invented one
    expect(clusterHeadline({ args: { resource_type: 'pods' } })).toBeUndefined();
  });

  it('a Helm chart whose objects reach several namespaces names them all, and cluster-scoped objects (issue 31)', () => {
    const chart = { args: { release_name: 'web', namespace: 'staging' }, cluster: { name: 'alpha', server: 'https://alpha:6443' }, namespace: 'staging' };
    expect(clusterHeadline({ ...chart, namespaces: ['staging', 'prod'] })).toBe('alpha · namespaces staging, prod');
    expect(clusterHeadline({ ...chart, namespaces: ['staging', 'prod'], cluster_scoped: true })).toBe('alpha · namespaces staging, prod + cluster-scoped objects');
    expect(clusterHeadline({ ...chart, cluster_scoped: true })).toBe('alpha · namespace staging + cluster-scoped objects');
    // a single namespace listed is the namespace line as before
    expect(clusterHeadline({ ...chart, namespaces: ['staging'] })).toBe('alpha · namespace staging');
  });

  it('the context argument is not repeated among the arguments that tell calls apart (the card shows the cluster)', () => {
    expect(distinguishingArgs({ context: 'beta', resource_type: 'pods', label_selector: 'app=web' })).toBe('label_selector=app=web');
  });

  it('a production label is a red badge, staging amber, anything else neutral, none without a label', () => {
    expect(labelBadge('prod')).toEqual({ text: 'PROD', tone: 'danger' });
    expect(labelBadge('production-eu')).toEqual({ text: 'PRODUCTION-EU', tone: 'danger' });
    expect(labelBadge('staging')).toEqual({ text: 'STAGING', tone: 'warn' });
    expect(labelBadge('dev')).toEqual({ text: 'DEV', tone: 'neutral' });
    expect(labelBadge(undefined)).toBeUndefined();
    expect(labelBadge('  ')).toBeUndefined();
  });
});

describe('the health strip', () => {
  const clusters: ClusterStatus[] = [
    { name: 'alpha', server: 'https://127.0.0.1:1', current: true, reachable: true, version: 'v1.31.0', identity: 'system:serviceaccount:skyflo:skyflo' },
    { name: 'beta', server: 'https://127.0.0.1:2', label: 'prod', current: false, reachable: false, error: 'kubeconfig /k/config: context beta: connect ECONNREFUSED 127.0.0.1:2' },
    { name: 'gamma', server: 'https://127.0.0.1:3', current: false, reachable: false },
  ];

  it('lists unreachable clusters first, each with why; reachable ones with their version and identity', () => {
    const strip = healthStrip(clusters, { status: 'degraded', components: { 'cluster gamma': 'error: certificate signed by unknown authority' } });
    expect(strip.map((item) => [item.name, item.reachable, item.detail])).toEqual([
      ['beta', false, 'kubeconfig /k/config: context beta: connect ECONNREFUSED 127.0.0.1:2'],
      ['gamma', false, 'certificate signed by unknown authority'],
      ['alpha', true, 'v1.31.0 · as system:serviceaccount:skyflo:skyflo'],
    ]);
  });

  it('an unreachable cluster without any reason still says it is not reachable', () => {
    expect(healthStrip([clusters[2]!])[0]!.detail).toBe('not reachable (no reason given)');
  });
});

describe('policy and scope editors', () => {
  it('parses lists typed with commas, spaces or new lines, without blanks or repeats', () => {
    expect(parseList(' payments-*, checkout\nshop  shop,')).toEqual(['payments-*', 'checkout', 'shop']);
    expect(parseList('')).toEqual([]);
  });

  it('refuses namespace patterns the engine cannot match', () => {
    expect(invalidPatterns(['payments-*', 'checkout', 'Team A', '-x', '*'])).toEqual(['Team A', '-x']);
  });

  it('an empty field means everything: the key is left out of the scope sent', () => {
    expect(scopeFromFields(['prod-eu'], 'payments, checkout')).toEqual({ clusters: ['prod-eu'], namespaces: ['payments', 'checkout'] });
    expect(scopeFromFields([], 'payments')).toEqual({ namespaces: ['payments'] });
    expect(scopeFromFields([], ' ')).toEqual({});
    expect(describeScope({})).toBe('Everything');
    expect(describeScope(undefined)).toBe('Everything');
    expect(describeScope({ namespaces: ['payments'] })).toBe('all clusters · payments');
  });

  it("replaces one cluster's policies in the full list, leaving the other clusters' alone", () => {
    const before = [
      { cluster: 'prod-eu', mode: 'approver' as const },
      { cluster: 'prod-eu', namespace_pattern: 'kube-*', mode: 'read_only' as const },
      { cluster: 'staging', mode: 'self' as const },
    ];
    const after = withClusterPolicies(before, 'prod-eu', 'four_eyes', [
      { pattern: 'payments-*', mode: 'approver' },
      { pattern: ' ', mode: 'self' },
      { pattern: 'payments-*', mode: 'read_only' },
    ]);
    expect(after).toEqual([
      { cluster: 'staging', mode: 'self' },
      { cluster: 'prod-eu', mode: 'four_eyes' },
      { cluster: 'prod-eu', namespace_pattern: 'payments-*', mode: 'approver' },
    ]);
    // no cluster-wide mode: the engine's default applies, no row is sent for it
    expect(withClusterPolicies(before, 'prod-eu', undefined, [])).toEqual([{ cluster: 'staging', mode: 'self' }]);
    expect(policiesOf(before, 'prod-eu').map((policy) => policy.namespace_pattern ?? '*')).toEqual(['*', 'kube-*']);
  });
});
