/**
 * Issue 76: the cluster's own emergency stop. While a SkyfloAI object in the executor's namespace carries the
 * annotation skyflo.ai/emergency-stop, the executor mints no credential for any approval, however validly signed;
 * removing the annotation lets the next mint through. The engine's own switch reaches it too (PUT /v1/emergency-stop,
 * the engine's token only), and the engine's lift never lifts the cluster's annotation. Against kube-sim with the real
 * kubectl and the executor's own RBAC (get/list on skyfloais and update on their status, nothing more). `kubectl get
 * sky` shows both: the annotation, and the stop engaged in Skyflo as the executor writes it into the status.
 */
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExecutor } from '../../src/executor/index.ts';
import { eventually } from '../support/operator-harness.ts';
import { dryRunToken, installNamespace, scaleWeb, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

const skyfloAiCrdPath = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds', 'skyfloais.skyflo.ai.yaml');

let h: ExecutorHarness;
let executor: RunningExecutor;

beforeAll(async () => {
  h = await startExecutorHarness();
  executor = await h.startExecutor();
});

afterAll(async () => {
  await h?.close();
});

describe('the emergency stop on the SkyfloAI object', () => {
  it('refuses every mint while the annotation is set, and mints again once it is removed', async () => {
    // no SkyfloAI kind installed: there is no switch, and a signed approval mints as usual
    const before = await h.signed(scaleWeb('before-stop'));
    expect(await h.api(executor, 'POST', '/v1/approvals', before)).toMatchObject({ status: 201 });
    expect((await h.mint(executor, before, scaleWeb('before-stop').args)).status).toBe(200);

    await h.kubectl(['apply', '-f', skyfloAiCrdPath]);
    const sky = { apiVersion: 'skyflo.ai/v1', kind: 'SkyfloAI', metadata: { name: 'skyflo', namespace: installNamespace, annotations: { 'skyflo.ai/emergency-stop': 'incident 42: bad rollout' } }, spec: {} };
    await h.kubectl(['apply', '-f', '-'], JSON.stringify(sky));

    // `kubectl get sky` shows it
    expect(await h.kubectl(['get', 'sky', 'skyflo', '-n', installNamespace])).toMatch(/\bincident 42: bad rollout\b/);
    const during = await h.signed(scaleWeb('during-stop'));
    expect(await h.api(executor, 'POST', '/v1/approvals', during)).toMatchObject({ status: 201 });
    const refused = await h.mint(executor, during, scaleWeb('during-stop').args);
    expect(refused.status).toBe(423);
    expect(refused.body).toEqual({ code: 'EMERGENCY_STOP', message: `the emergency stop is on (SkyfloAI ${installNamespace}/skyflo, annotation skyflo.ai/emergency-stop: incident 42: bad rollout); nothing is minted until it is removed` });
    // nothing was created for it
    await expect(h.kubectl(['get', 'serviceaccount', `skyflo-approval-${during.name}`, '-n', installNamespace])).rejects.toThrow(/not found/);

    await h.kubectl(['annotate', 'skyfloai', 'skyflo', '-n', installNamespace, 'skyflo.ai/emergency-stop-']);
    const after = await h.mint(executor, during, scaleWeb('during-stop').args);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
  });

  it("holds the engine's stop: announced with the engine's token, nothing is minted until the engine lifts it; no other caller can switch it, and the engine cannot lift the cluster's", async () => {
    const on = { active: true, reason: 'INC-9 checkout down', by: 'zoe@example.com', since: '2026-11-30T02:00:00.000Z' };
    // who may switch it: the engine's token only (the MCP server's dry-run token and no token are refused, either way)
    expect(await h.api(executor, 'PUT', '/v1/emergency-stop', { active: false }, dryRunToken)).toMatchObject({ status: 403 });
    expect(await h.api(executor, 'PUT', '/v1/emergency-stop', on, dryRunToken)).toMatchObject({ status: 403 });
    expect(await h.api(executor, 'PUT', '/v1/emergency-stop', on, '')).toMatchObject({ status: 401 });
    expect(await h.api(executor, 'PUT', '/v1/emergency-stop', { active: 'yes' })).toMatchObject({ status: 400, body: { code: 'INVALID', message: expect.stringContaining('not an emergency stop: active') } });

    expect(await h.api(executor, 'PUT', '/v1/emergency-stop', on)).toMatchObject({ status: 200, body: { active: true } });
    const during = await h.signed(scaleWeb('engine-stop'));
    expect(await h.api(executor, 'POST', '/v1/approvals', during)).toMatchObject({ status: 201 });
    const refused = await h.mint(executor, during, scaleWeb('engine-stop').args);
    expect(refused).toMatchObject({ status: 423, body: { code: 'EMERGENCY_STOP', message: 'the emergency stop is on (engaged in Skyflo by zoe@example.com at 2026-11-30T02:00:00.000Z: INC-9 checkout down); nothing is minted until an admin lifts it' } });
    await expect(h.kubectl(['get', 'serviceaccount', `skyflo-approval-${during.name}`, '-n', installNamespace])).rejects.toThrow(/not found/);
    // `kubectl get sky` shows the stop engaged in Skyflo (written into the SkyfloAI's status by the executor's own identity)
    const shownStop = 'by zoe@example.com since 2026-11-30T02:00:00.000Z: INC-9 checkout down';
    const getSky = () => h.kubectl(['get', 'sky', 'skyflo', '-n', installNamespace]);
    expect(await eventually(async () => ((await getSky()).includes(shownStop) ? getSky() : undefined), { what: 'the stop in kubectl get sky' })).toMatch(/STOP-IN-SKYFLO/);
    // a re-announcement (every few seconds from each engine replica) writes nothing new
    const written = JSON.parse(await h.kubectl(['get', 'sky', 'skyflo', '-n', installNamespace, '-o', 'json'])).metadata.resourceVersion;
    expect(await h.api(executor, 'PUT', '/v1/emergency-stop', on)).toMatchObject({ status: 200 });
    expect(await h.api(executor, 'PUT', '/v1/emergency-stop', on)).toMatchObject({ status: 200 });
    expect(JSON.parse(await h.kubectl(['get', 'sky', 'skyflo', '-n', installNamespace, '-o', 'json'])).metadata.resourceVersion).toBe(written);

    // the cluster's own switch as well: the engine's lift ends only the engine's stop
    await h.kubectl(['annotate', 'skyfloai', 'skyflo', '-n', installNamespace, 'skyflo.ai/emergency-stop=cluster drill']);
    expect(await h.api(executor, 'PUT', '/v1/emergency-stop', { active: false })).toMatchObject({ status: 200 });
    expect((await h.mint(executor, during, scaleWeb('engine-stop').args)).body).toMatchObject({ code: 'EMERGENCY_STOP', message: expect.stringContaining('annotation skyflo.ai/emergency-stop: cluster drill') });
    await h.kubectl(['annotate', 'skyfloai', 'skyflo', '-n', installNamespace, 'skyflo.ai/emergency-stop-']);
    const after = await h.mint(executor, during, scaleWeb('engine-stop').args);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    // lifted in Skyflo: gone from kubectl get sky too
    await eventually(async () => !(await getSky()).includes(shownStop), { what: 'the lifted stop to leave kubectl get sky' });
    expect(JSON.parse(await h.kubectl(['get', 'sky', 'skyflo', '-n', installNamespace, '-o', 'json'])).status?.emergencyStop).toBeUndefined();
  });
});
