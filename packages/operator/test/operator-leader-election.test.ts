/**
 * Two `skyflo operator` processes (the real CLI) on one cluster: exactly one holds the Lease and reconciles; when
 * it stops, the other takes over and keeps reconciling.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { condition, eventually, startOperatorHarness, type OperatorHarness } from './support/operator-harness.ts';

let harness: OperatorHarness;

beforeAll(async () => {
  harness = await startOperatorHarness();
});

afterAll(async () => {
  await harness?.close();
});

const holder = async () => (await harness.tryGet('lease', 'skyflo-operator'))?.spec?.holderIdentity as string | undefined;

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

it('runs one leader at a time and fails over when the leader stops', async () => {
  const flags = ['--lease-duration', '5', '--retry-period', '250', '--leader-election-namespace', 'default'];
  const operators = { 'operator-a': harness.spawnOperator(flags, { POD_NAME: 'operator-a' }), 'operator-b': harness.spawnOperator(flags, { POD_NAME: 'operator-b' }) };
  const leaderName = await eventually(async () => {
    const name = await holder();
    return name && operators[name as keyof typeof operators]?.output().includes('operator started') ? name : undefined;
  }, { timeoutMs: 45_000, what: 'a leader' }) as keyof typeof operators;
  const standbyName = leaderName === 'operator-a' ? 'operator-b' : 'operator-a';
  const leader = operators[leaderName];
  const standby = operators[standbyName];
  await eventually(async () => standby.output().includes('waiting for the lease'), { what: 'the standby to wait' });

  await harness.apply('apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: default}\nspec: {}\n');
  await eventually(async () => condition(await harness.tryGet('skyfloai', 'sky'), 'Ready')?.status === 'True', { timeoutMs: 45_000, what: 'the leader to reconcile' });
  expect(leader.output()).toMatch(/"msg":"reconciled"/);
  expect(standby.output()).not.toMatch(/operator started|"msg":"reconciled"/);

  leader.child.kill('SIGTERM');
  expect(await exited(leader.child)).toBe(0);
  // The stopped leader released the Lease, so the standby takes over well before the 5 s lease would expire.
  await eventually(async () => (await holder()) === standbyName && standby.output().includes('operator started'), { timeoutMs: 30_000, what: 'the standby to take over' });
  const lease = await harness.tryGet('lease', 'skyflo-operator');
  expect(lease.spec.leaseTransitions).toBeGreaterThanOrEqual(1);

  await harness.kubectl(['patch', 'sky', 'sky', '--type=merge', '-p', JSON.stringify({ spec: { mcp: { replicas: 2 } } })]);
  await eventually(async () => {
    const sky = await harness.tryGet('skyfloai', 'sky');
    return sky.status?.mcp?.readyReplicas === 2 && condition(sky, 'Ready')?.status === 'True';
  }, { timeoutMs: 45_000, what: 'the new leader to reconcile the change' });
  expect((await harness.tryGet('deployment', 'sky-mcp')).spec.replicas).toBe(2);
  expect(standby.output()).toMatch(/"msg":"reconciled"/);
  standby.child.kill('SIGTERM');
  expect(await exited(standby.child)).toBe(0);
});
