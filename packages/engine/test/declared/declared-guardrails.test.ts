/**
 * Issue 76 item 3: policies and freezes "managed like code" — declared as SkyfloPolicy/SkyfloFreeze objects in the
 * install's namespace (kube-sim serves the chart's CRDs; objects are applied with the real kubectl) or as files in
 * POLICIES_DIR. The engine (DECLARED_OBJECTS_NAMESPACE, POLICIES_DIR, KUBECONFIG) keeps one policy or freeze per
 * declaration, so the gate meets it before anyone is asked to approve; the API shows where it is declared and refuses
 * to edit it (409 naming the object or the file); a broken declaration declares nothing; a link out of the folder is
 * not read; a cluster that does not answer changes nothing.
 */
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addTeamMembers, teamApi } from '../support/governance.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';
import { kubectlFor } from '../support/kubectl.ts';

const crds = ['skyflopolicies', 'skyflofreezes'].map((plural) => path.resolve(import.meta.dirname, `../../../../deploy/helm/skyflo/crds/${plural}.skyflo.ai.yaml`));

let directory: string;
let policiesDir: string;
let kubeconfig: string;
let kube: KubeSim;
let sim: LlmSim;
let engine: TestEngine;
const tokens: Record<string, string> = {};
const fleet = simEngineFleet(() => sim);
const { call, chat } = teamApi(() => engine, tokens);

const kubectl = kubectlFor(() => kubeconfig, () => directory);

const object = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'skyflo.ai/v1alpha1', kind, metadata: { name, namespace: 'skyflo' }, spec });
const apply = (kind: string, name: string, spec: Record<string, unknown>) => kubectl(['apply', '-f', '-'], toYaml(object(kind, name, spec)));
const sync = async () => engine.engine.declaredGuardrails!.sync();
const policies = async () => (await call(tokens['admin'], 'GET', '/policies')).json().data as Array<Record<string, any>>;
const freezes = async () => (await call(tokens['admin'], 'GET', '/freezes')).json().data as Array<Record<string, any>>;
const hourFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const scaleToZero = { expression: 'tool == "k8s_scale" && args.replicas == 0', effect: 'deny', message: 'Scaling to zero needs a change ticket.' };

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-declared-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  policiesDir = path.join(directory, 'policies');
  await mkdir(policiesDir);
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
  for (const crd of crds) await kubectl(['apply', '-f', crd]);
  await kubectl(['create', 'namespace', 'skyflo']);
  sim = await startLlmSim({ port: 0 });
  engine = await fleet.start({ APPROVAL_POLICY: 'approver', KUBECONFIG: kubeconfig, DECLARED_OBJECTS_NAMESPACE: 'skyflo', POLICIES_DIR: policiesDir }, { fakeMcp: { clusters: [{ name: 'prod', server: 'https://prod.example.test', current: true }] } });
  tokens['admin'] = await engine.signUp('admin@example.com');
  Object.assign(tokens, await addTeamMembers(engine, tokens['admin'], [['mia', 'member'], ['ann', 'approver']]));
  sim.reset({
    rules: [
      { match: { toolName: 'load_toolset', userContains: 'scale web to zero' }, reply: { toolCalls: [{ id: 'call_zero', name: 'k8s_scale', arguments: { name: 'web', replicas: 0 } }] } },
      { match: { toolName: 'load_toolset', userContains: 'scale web to 3' }, reply: { toolCalls: [{ id: 'call_three', name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } }] } },
      { match: { toolName: 'k8s_scale' }, reply: 'Done.' },
      { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    ],
  });
}, 120_000);

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
  await kube?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('the emergency stop declared in the cluster (issue 76 item 7)', () => {
  it("an annotation on the SkyfloAI object stops every change, shows in /health, cannot be lifted through the API, and ends when it is removed", async () => {
    await kubectl(['apply', '-f', path.resolve(import.meta.dirname, '../../../../deploy/helm/skyflo/crds/skyfloais.skyflo.ai.yaml')]);
    await kubectl(['apply', '-f', '-'], toYaml({ apiVersion: 'skyflo.ai/v1', kind: 'SkyfloAI', metadata: { name: 'sky', namespace: 'skyflo' }, spec: {} }));
    const health = async () => (await engine.request({ method: 'GET', url: '/api/v1/health', token: tokens['mia'] })).json().emergency_stop as Record<string, unknown>;
    expect(await health()).toEqual({ active: false });

    await kubectl(['annotate', 'skyfloai', 'sky', '-n', 'skyflo', 'skyflo.ai/emergency-stop=INC-77 datacenter power']);
    try {
    // read at most once a second: waited for through the API, not by the clock
    await vi.waitFor(async () => expect(await health()).toMatchObject({ active: true, reason: 'INC-77 datacenter power', by: 'the cluster (SkyfloAI skyflo/sky, annotation skyflo.ai/emergency-stop)' }), { timeout: 30_000, interval: 200 });
    const proposed = await chat('mia', 'scale web to 3');
    expect(proposed.awaiting).toBeUndefined();
    expect(proposed.frames.find((frame) => frame.event === 'tool.error')?.data).toMatchObject({ code: 'EMERGENCY_STOP', error: expect.stringContaining('INC-77 datacenter power') });
    expect(engine.mcp.calls.filter((entry) => entry.name === 'k8s_scale')).toEqual([]);
    // an admin cannot lift it here: it is lifted where it is declared
    const lift = await call(tokens['admin'], 'DELETE', '/emergency-stop');
    expect(lift.statusCode).toBe(409);
    expect(lift.json()).toMatchObject({ code: 'MANAGED_BY_DECLARATION', detail: expect.stringContaining('kubectl annotate skyfloai sky -n skyflo skyflo.ai/emergency-stop-') });

    } finally {
      await kubectl(['annotate', 'skyfloai', 'sky', '-n', 'skyflo', 'skyflo.ai/emergency-stop-']);
    }
    await vi.waitFor(async () => expect(await health()).toEqual({ active: false }), { timeout: 30_000, interval: 200 });
    const after = await chat('mia', 'scale web to 3');
    expect(after.awaiting).toMatchObject({ call_id: 'call_three' });
    const denied = await call(tokens['ann'], 'POST', '/agent/approvals/call_three', { approve: false, conversation_id: after.conversationId, reason: 'only checking the stop' });
    expect(denied.statusCode).toBe(200);
  });
});

describe('SkyfloPolicy objects', () => {
  it('a deny applied with kubectl refuses a scale to 0 before anyone is asked, and the API shows it as the object\'s and refuses to edit it', async () => {
    await apply('SkyfloPolicy', 'no-scale-to-zero', scaleToZero);
    expect((await sync()).policies).toMatchObject({ created: ['SkyfloPolicy skyflo/no-scale-to-zero'], refused: [] });
    const [policy] = await policies();
    expect(policy).toMatchObject({ name: 'no-scale-to-zero', ...scaleToZero, enabled: true, version: 1, managed_by: 'SkyfloPolicy skyflo/no-scale-to-zero' });

    engine.mcp.replicas.set('web', 2);
    const { frames } = await chat('mia', 'scale web to zero');
    expect(frames.find((frame) => frame.event === 'tool.error')?.data).toMatchObject({ call_id: 'call_zero', code: 'POLICY_DENIED', error: expect.stringContaining('Policy "no-scale-to-zero" (v1) denies this k8s_scale call: Scaling to zero needs a change ticket.') });
    expect(frames.some((frame) => frame.event === 'tool.awaiting_approval')).toBe(false);
    expect((await call(tokens['ann'], 'GET', '/approvals/pending')).json().data).toEqual([]);
    expect(engine.mcp.replicas.get('web')).toBe(2);

    for (const [method, payload] of [['PUT', { name: 'no-scale-to-zero', expression: 'false', effect: 'warn' }], ['DELETE', undefined]] as const) {
      const refused = await call(tokens['admin'], method, `/policies/${policy!['id']}`, payload);
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'MANAGED_BY_DECLARATION', detail: expect.stringContaining('declared in the cluster as SkyfloPolicy skyflo/no-scale-to-zero') });
      expect(refused.body).toContain('kubectl edit skyflopolicy no-scale-to-zero -n skyflo');
    }
    // created once, as the cluster's doing, with no person as its actor
    const audit = (await engine.engine.storage.audit.list({ limit: 50 })).filter((event) => event.action.startsWith('policy.created'));
    expect(audit).toEqual([expect.objectContaining({ subjectId: policy!['id'], details: expect.objectContaining({ managed_by: 'SkyfloPolicy skyflo/no-scale-to-zero' }) })]);
    expect(audit[0]!.actorId ?? null).toBeNull();
  });

  it('follows its object: a change is made once however often it is synced, and deleting the object removes the policy', async () => {
    await apply('SkyfloPolicy', 'no-scale-to-zero', { ...scaleToZero, effect: 'warn', message: 'Are you sure?' });
    expect((await sync()).policies?.updated).toEqual(['SkyfloPolicy skyflo/no-scale-to-zero']);
    expect((await sync()).policies).toMatchObject({ created: [], updated: [], removed: [] });
    expect((await policies())[0]).toMatchObject({ effect: 'warn', message: 'Are you sure?', version: 2 });
    const { awaiting } = await chat('mia', 'scale web to zero');
    expect(awaiting?.['risks']).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'POLICY_WARNING', message: 'Policy "no-scale-to-zero" (v2): warn — Are you sure?' })]));

    await kubectl(['delete', 'skyflopolicy', 'no-scale-to-zero', '-n', 'skyflo']);
    expect((await sync()).policies?.removed).toEqual(['SkyfloPolicy skyflo/no-scale-to-zero']);
    expect(await policies()).toEqual([]);
  });

  it('a broken expression declares nothing, and disables the policy it had until it is fixed', async () => {
    await apply('SkyfloPolicy', 'broken', { expression: 'tool == "k8s_scale" &&', effect: 'deny' });
    const report = (await sync()).policies!;
    expect(report.created).toEqual([]);
    expect(report.refused).toEqual([{ object: 'SkyfloPolicy skyflo/broken', reason: expect.stringContaining('The expression does not compile') }]);
    expect(await policies()).toEqual([]);

    await apply('SkyfloPolicy', 'guard', scaleToZero);
    await sync();
    await apply('SkyfloPolicy', 'guard', { ...scaleToZero, expression: 'replicas == 0' });
    expect((await sync()).policies?.refused).toContainEqual({ object: 'SkyfloPolicy skyflo/guard', reason: expect.stringContaining('Unknown variable: replicas') });
    expect((await policies()).find((policy) => policy['name'] === 'guard')).toMatchObject({ enabled: false, expression: scaleToZero.expression });
    await apply('SkyfloPolicy', 'guard', scaleToZero);
    await sync();
    expect((await policies()).find((policy) => policy['name'] === 'guard')).toMatchObject({ enabled: true });
    await kubectl(['delete', 'skyflopolicy', 'guard', 'broken', '-n', 'skyflo']);
    await sync();
  });

  it('a name a policy made in the API already has is refused, naming it; the API\'s policy is left alone', async () => {
    const made = await call(tokens['admin'], 'POST', '/policies', { name: 'taken', expression: 'false', effect: 'warn' });
    expect(made.statusCode, made.body).toBe(201);
    await apply('SkyfloPolicy', 'taken', scaleToZero);
    expect((await sync()).policies?.refused).toEqual([{ object: 'SkyfloPolicy skyflo/taken', reason: 'a policy named "taken" already exists (made in the API); rename this one, or remove the other' }]);
    expect(await policies()).toEqual([expect.objectContaining({ name: 'taken', expression: 'false', managed_by: null })]);
    await kubectl(['delete', 'skyflopolicy', 'taken', '-n', 'skyflo']);
    expect((await call(tokens['admin'], 'DELETE', `/policies/${made.json().id}`)).statusCode).toBe(204);
  });
});

describe('SkyfloFreeze objects', () => {
  it('a freeze in force holds a mutating call as a FROZEN card nobody approves plainly; the API shows it as the object\'s and refuses to edit it', async () => {
    await apply('SkyfloFreeze', 'year-end', { starts_at: hourFromNow(-1), ends_at: hourFromNow(2), clusters: ['prod'], reason: 'year-end close' });
    expect((await sync()).freezes).toMatchObject({ created: ['SkyfloFreeze skyflo/year-end'], refused: [] });
    const [freeze] = await freezes();
    expect(freeze).toMatchObject({ name: 'year-end', reason: 'year-end close', clusters: ['prod'], managed_by: 'SkyfloFreeze skyflo/year-end', active_until: expect.any(String) });

    // held as a frozen card (issue 76 item 6): only an admin's break-glass approves it while the freeze holds
    const held = await chat('mia', 'scale web to 3');
    expect(held.awaiting).toMatchObject({ call_id: 'call_three', risks: expect.arrayContaining([expect.objectContaining({ code: 'FROZEN', message: expect.stringContaining('the change freeze "year-end" holds until') })]) });
    const approve = await call(tokens['admin'], 'POST', '/agent/approvals/call_three', { approve: true, conversation_id: held.conversationId, args_hash: held.awaiting!['args_hash'] });
    expect(approve.json()).toMatchObject({ code: 'FROZEN', detail: expect.stringContaining('year-end') });

    // the object names who may break it in the cluster: an admin it does not name is told now, not by the executor later
    await apply('SkyfloFreeze', 'year-end', { starts_at: freeze!['starts_at'], ends_at: freeze!['ends_at'], clusters: ['prod'], reason: 'year-end close', break_glass: { approvers: ['zoe@example.com'] } });
    expect((await sync()).freezes).toMatchObject({ updated: ['SkyfloFreeze skyflo/year-end'], refused: [] });
    const breakGlass = () => call(tokens['admin'], 'POST', '/agent/approvals/call_three', { approve: true, conversation_id: held.conversationId, args_hash: held.awaiting!['args_hash'], break_glass: { reason: 'INC-7' } });
    const notNamed = await breakGlass();
    expect(notNamed.statusCode).toBe(403);
    expect(notNamed.json()).toMatchObject({ code: 'BREAK_GLASS_NOT_NAMED', detail: expect.stringContaining('The change freeze "year-end" is declared in the cluster (a SkyfloFreeze), which lets only zoe@example.com break it: the cluster\'s executor would refuse this change from you.') });
    // …and the queue does not offer them the Break glass button
    const offered = async () => ((await call(tokens['admin'], 'GET', '/approvals/pending')).json().data as Array<Record<string, unknown>>).find((item) => item['call_id'] === 'call_three');
    expect(await offered()).toMatchObject({ cannot_decide_code: 'FROZEN' });
    expect(await offered()).not.toHaveProperty('can_break_glass');
    // named (by email, without case): past that check, to the break-glass's own demands (the passkey)
    await apply('SkyfloFreeze', 'year-end', { starts_at: freeze!['starts_at'], ends_at: freeze!['ends_at'], clusters: ['prod'], reason: 'year-end close', break_glass: { approvers: ['Admin@Example.com'] } });
    await sync();
    expect((await breakGlass()).json()).toMatchObject({ code: 'BREAK_GLASS_PASSKEY_REQUIRED' });
    expect(await offered()).toMatchObject({ can_break_glass: true });
    await apply('SkyfloFreeze', 'year-end', { starts_at: freeze!['starts_at'], ends_at: freeze!['ends_at'], clusters: ['prod'], reason: 'year-end close' });
    await sync();

    // broken (an end before its start): declares nothing new, and the freeze keeps holding as last declared
    await apply('SkyfloFreeze', 'year-end', { starts_at: hourFromNow(-1), ends_at: hourFromNow(-2), clusters: ['prod'], reason: 'year-end close' });
    expect((await sync()).freezes?.refused).toEqual([{ object: 'SkyfloFreeze skyflo/year-end', reason: 'ends_at must be after starts_at' }]);
    expect((await freezes())[0]).toMatchObject({ ends_at: freeze!['ends_at'], active_until: expect.any(String) });

    const edit = await call(tokens['admin'], 'PUT', `/freezes/${freeze!['id']}`, { name: 'year-end', starts_at: hourFromNow(-1), ends_at: hourFromNow(-0.5), reason: 'over' });
    expect(edit.statusCode).toBe(409);
    expect(edit.json().detail).toContain('declared in the cluster as SkyfloFreeze skyflo/year-end');
    expect((await call(tokens['admin'], 'DELETE', `/freezes/${freeze!['id']}`)).statusCode).toBe(409);

    await kubectl(['delete', 'skyflofreeze', 'year-end', '-n', 'skyflo']);
    expect((await sync()).freezes?.removed).toEqual(['SkyfloFreeze skyflo/year-end']);
    expect((await chat('mia', 'scale web to 3')).awaiting).toMatchObject({ call_id: 'call_three' });
  });
});

describe('POLICIES_DIR', () => {
  it('a policy in a file works the same, is refused for edits naming the file, and a link out of the folder is not read', async () => {
    const file = (name: string, spec: Record<string, unknown>) => toYaml({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloPolicy', metadata: { name }, spec });
    // two documents in one file: the policy, and a freeze over another cluster
    await writeFile(path.join(policiesDir, 'guardrails.yaml'), `${file('zero-from-git', scaleToZero)}---\n${toYaml({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloFreeze', metadata: { name: 'staging-freeze' }, spec: { starts_at: hourFromNow(-1), ends_at: hourFromNow(1), clusters: ['staging'], reason: 'load test' } })}`);
    // the attacker's spelling: a link in the folder to a file outside it (a secret of the engine's, say)
    const outside = path.join(directory, 'outside.yaml');
    await writeFile(outside, file('from-outside', { expression: 'true', effect: 'deny', message: 'read through a link' }));
    await symlink(outside, path.join(policiesDir, 'linked.yaml'));

    const report = await sync();
    expect(report.policies?.created).toEqual(['file guardrails.yaml (SkyfloPolicy zero-from-git)']);
    expect(report.freezes?.created).toEqual(['file guardrails.yaml (SkyfloFreeze staging-freeze)']);
    expect((await policies()).map((policy) => [policy['name'], policy['managed_by']])).toEqual([['zero-from-git', 'file guardrails.yaml (SkyfloPolicy zero-from-git)']]);

    const { frames } = await chat('mia', 'scale web to zero');
    expect(frames.find((frame) => frame.event === 'tool.error')?.data).toMatchObject({ code: 'POLICY_DENIED', error: expect.stringContaining('"zero-from-git"') });
    const [policy] = await policies();
    const refused = await call(tokens['admin'], 'DELETE', `/policies/${policy!['id']}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toContain('declared in file guardrails.yaml of POLICIES_DIR');

    // removed from the folder (a git pull that deleted it): removed from the engine
    await unlink(path.join(policiesDir, 'guardrails.yaml'));
    const after = await sync();
    expect(after.policies?.removed).toEqual(['file guardrails.yaml (SkyfloPolicy zero-from-git)']);
    expect(after.freezes?.removed).toEqual(['file guardrails.yaml (SkyfloFreeze staging-freeze)']);
    expect(await policies()).toEqual([]);
  });

  it('a file that is not YAML changes nothing declared in the folder until it is fixed', async () => {
    await writeFile(path.join(policiesDir, 'guard.yaml'), toYaml({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloPolicy', metadata: { name: 'kept' }, spec: scaleToZero }));
    await sync();
    await writeFile(path.join(policiesDir, 'guard.yaml'), 'kind: SkyfloPolicy\nmetadata: {name: kept\n');
    expect((await sync()).policies).toBeUndefined();
    expect((await policies()).map((policy) => policy['name'])).toEqual(['kept']);
    await unlink(path.join(policiesDir, 'guard.yaml'));
    await sync();
  });
});

describe('a cluster that does not answer', () => {
  it('changes nothing it declared (never removed because a listing failed)', async () => {
    await apply('SkyfloPolicy', 'no-scale-to-zero', scaleToZero);
    await sync();
    const before = await policies();
    expect(before.map((policy) => policy['managed_by'])).toEqual(['SkyfloPolicy skyflo/no-scale-to-zero']);
    await kube.close();
    expect((await sync()).policies).toBeUndefined();
    expect(await policies()).toEqual(before);
  });
});
