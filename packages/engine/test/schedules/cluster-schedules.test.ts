/**
 * Issue 81: schedules declared in the cluster. kube-sim serves the chart's SkyfloSchedule CRD; objects are applied
 * with the real kubectl, and the engine (SCHEDULES_NAMESPACE, KUBECONFIG) keeps one schedule per object: created,
 * changed and removed with it, refused by the API for edits (409 naming the object), run as the named owner within
 * their scope. An object that declares nothing valid (an unknown owner, a bad cron, outside the owner's scope) makes
 * no schedule — and disables the one it had — and a cluster that does not answer changes nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';
import { kubectlFor } from '../support/kubectl.ts';

const crdPath = path.resolve(import.meta.dirname, '../../../../deploy/helm/skyflo/crds/skyfloschedules.skyflo.ai.yaml');

let directory: string;
let kubeconfig: string;
let kube: KubeSim;
let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let mia: string;

const kubectl = kubectlFor(() => kubeconfig, () => directory);

const scheduleObject = (name: string, spec: Record<string, unknown>) => toYaml({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloSchedule', metadata: { name, namespace: 'skyflo' }, spec: { schedule: '0 8 * * 1-5', timeZone: 'Europe/Berlin', prompt: 'Anything crash-looping in prod?', ...spec } });
const apply = (name: string, spec: Record<string, unknown>) => kubectl(['apply', '-f', '-'], scheduleObject(name, spec));
const sync = async () => (await team.engine.engine.clusterSchedules!.sync())!;
const listed = async (token: string) => (await team.call(token, 'GET', '/schedules')).json().data as Array<Record<string, any>>;
const managed = async (name: string) => (await listed(admin)).find((schedule) => schedule.managed_by === `SkyfloSchedule skyflo/${name}`);

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-cluster-schedules-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
  await kubectl(['apply', '-f', crdPath]);
  await kubectl(['create', 'namespace', 'skyflo']);
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim, { KUBECONFIG: kubeconfig, SCHEDULES_NAMESPACE: 'skyflo' });
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  const miaId = ((await team.call(admin, 'GET', '/team/members')).json() as Array<{ email: string; id: string }>).find((member: { email: string }) => member.email === 'mia@example.com')!.id;
  expect((await team.call(admin, 'PATCH', `/team/members/${miaId}/scope`, { namespaces: ['shop'] })).statusCode).toBe(200);
}, 120_000);

afterAll(async () => {
  await team?.close();
  await sim?.close();
  await kube?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('SkyfloSchedule objects', () => {
  it('make a schedule of their owner, which the API shows as managed by the object and refuses to edit or delete', async () => {
    await apply('morning', { owner: 'mia@example.com', namespaces: ['shop'], notify: ['in_app'] });
    expect(await sync()).toMatchObject({ created: ['SkyfloSchedule skyflo/morning'], updated: [], removed: [], refused: [] });
    const schedule = await managed('morning');
    expect(schedule).toMatchObject({ name: 'morning', owner_email: 'mia@example.com', schedule: '0 8 * * 1-5', time_zone: 'Europe/Berlin', namespaces: ['shop'], mode: 'read_only', enabled: true });
    // the owner sees it as theirs
    expect((await listed(mia)).map((item) => item.id)).toContain(schedule!.id);
    for (const [method, payload] of [['PUT', { name: 'edited', schedule: '* * * * *', prompt: 'x' }], ['DELETE', undefined]] as const) {
      const refused = await team.call(mia, method, `/schedules/${schedule!.id}`, payload);
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ detail: expect.stringContaining('declared in the cluster as SkyfloSchedule skyflo/morning') });
      expect(refused.body).toContain('kubectl edit skyfloschedule morning -n skyflo');
    }
    // "run now" still works: it runs the declared check
    sim.reset({ rules: [{ match: { sequence: 1 }, reply: 'Nothing is wrong.' }] });
    expect((await team.call(mia, 'POST', `/schedules/${schedule!.id}/run`)).statusCode).toBe(202);
    await team.engine.engine.schedules.idle();
    // audited once, as the cluster's doing
    const audit = (await team.call(admin, 'GET', '/audit?limit=50')).json().data as Array<{ action: string; details: Record<string, unknown> }>;
    expect(audit.filter((event) => event.action === 'schedule.created' && event.details['managed_by'] === 'SkyfloSchedule skyflo/morning')).toHaveLength(1);
  });

  it('follow their object: a change updates the schedule once however often it is synced, and a removal deletes it', async () => {
    await apply('morning', { owner: 'mia@example.com', namespaces: ['shop'], schedule: '30 7 * * *', mode: 'propose' });
    expect((await sync()).updated).toEqual(['SkyfloSchedule skyflo/morning']);
    expect(await sync()).toMatchObject({ created: [], updated: [], removed: [] });
    expect(await managed('morning')).toMatchObject({ schedule: '30 7 * * *', mode: 'propose' });
    await kubectl(['delete', 'skyfloschedule', 'morning', '-n', 'skyflo']);
    expect((await sync()).removed).toEqual(['SkyfloSchedule skyflo/morning']);
    expect(await managed('morning')).toBeUndefined();
  });

  it('declare nothing when invalid — an unknown owner, a bad cron, outside the owner\'s scope — and disable the schedule they had until fixed', async () => {
    await apply('stranger', { owner: 'nobody@example.com' });
    await apply('wide', { owner: 'mia@example.com', namespaces: ['payments'] });
    const report = await sync();
    expect(report.created).toEqual([]);
    expect(report.refused).toEqual([
      { object: 'SkyfloSchedule skyflo/stranger', reason: expect.stringContaining('nobody@example.com is not an active Skyflo user') },
      { object: 'SkyfloSchedule skyflo/wide', reason: expect.stringContaining('Namespaces outside your access: payments') },
    ]);
    expect(await managed('stranger')).toBeUndefined();
    expect(await managed('wide')).toBeUndefined();

    await apply('nightly', { owner: 'admin@example.com', schedule: '0 2 * * *' });
    expect((await sync()).created).toEqual(['SkyfloSchedule skyflo/nightly']);
    await apply('nightly', { owner: 'admin@example.com', schedule: '0 25 * * *' });
    const broken = await sync();
    expect(broken.refused.find((item) => item.object === 'SkyfloSchedule skyflo/nightly')?.reason).toMatch(/25/);
    expect(await managed('nightly')).toMatchObject({ enabled: false, schedule: '0 2 * * *' });
    await apply('nightly', { owner: 'admin@example.com', schedule: '0 3 * * *' });
    await sync();
    expect(await managed('nightly')).toMatchObject({ enabled: true, schedule: '0 3 * * *' });
  });

  it('are kept as they were when the cluster does not answer (never removed because a listing failed)', async () => {
    const before = await managed('nightly');
    await kube.close();
    expect(await team.engine.engine.clusterSchedules!.sync()).toBeUndefined();
    expect(await managed('nightly')).toEqual(before);
  });
});
