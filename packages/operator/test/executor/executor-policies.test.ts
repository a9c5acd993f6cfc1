/**
 * Issue 76, "enforced twice": the executor judges the team's policies and change freezes again on what it mints, from
 * SkyfloPolicy and SkyfloFreeze objects in its own namespace — never from the engine. Here no engine runs at all (the
 * harness signs approvals as an engine whose own policy check is gone would): a call a policy denies or a freeze holds
 * is still refused by the executor, and nothing is created for it. Against kube-sim with the real kubectl, the CRDs
 * the chart installs and the executor's own RBAC (get/list on skyflopolicies and skyflofreezes, nothing more).
 * And the third time: the ValidatingAdmissionPolicy the operator makes of a policy refuses, in the API server, what a
 * minted credential writes beyond what the executor judged (no executor webhook is registered here: nothing else
 * checks that write).
 */
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { stringify as toYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { policyAdmissionPlan } from '../../src/desired/policy-admission.ts';
import type { RunningExecutor } from '../../src/executor/index.ts';
import { installNamespace, scaleWeb, spec, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';
import { deviceKey, deviceProof, type DeviceKey } from './device-key-proof.ts';
import type { ApproverProof, SkyfloApprovalDocument } from '@skyflo/protocol';

const crd = (file: string) => path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds', file);

let h: ExecutorHarness;
let executor: RunningExecutor;

beforeAll(async () => {
  h = await startExecutorHarness();
  await h.kubectl(['apply', '-f', crd('skyflopolicies.skyflo.ai.yaml')]);
  await h.kubectl(['apply', '-f', crd('skyflofreezes.skyflo.ai.yaml')]);
  // who holds each role as this cluster declares it (SkyfloAI spec.approvals.roleMembers → SKYFLO_EXECUTOR_ROLE_MEMBERS)
  executor = await h.startExecutor({ roleMembers: { admin: ['Zoe@Example.com'], approver: ['user-bob', 'dina@example.com'] } });
});

afterAll(async () => {
  await h?.close();
});

afterEach(async () => {
  await h.kubectl(['delete', 'skyflopolicies,skyflofreezes', '--all', '-n', installNamespace]);
});

/** As an admin (or GitOps) installs it: `kubectl apply` of the object. */
const install = (kind: 'SkyfloPolicy' | 'SkyfloFreeze', name: string, spec: Record<string, unknown>) =>
  h.kubectl(['apply', '-f', '-'], toYaml({ apiVersion: 'skyflo.ai/v1alpha1', kind, metadata: { name, namespace: installNamespace }, spec }));

/** Mirrors a freshly signed approval of `call` and asks for its credential, as the engine would. */
async function approveAndMint(call: ReturnType<typeof scaleWeb>) {
  const document = await h.signed(call);
  expect(await h.api(executor, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
  return { document, answer: await h.mint(executor, document, call.args) };
}

const accountOf = (name: string) => h.kubectl(['get', 'serviceaccount', `skyflo-approval-${name}`, '-n', installNamespace]);

describe('SkyfloPolicy objects, judged by the executor at each mint', () => {
  it('refuses a scale to 0 a deny policy matches, creates nothing for it, and mints the scale to 2', async () => {
    await install('SkyfloPolicy', 'no-scale-to-zero', { expression: 'tool == "k8s_scale" && args.replicas == 0', effect: 'deny', message: 'Scale to zero needs a change ticket.' });

    const zero = await approveAndMint(scaleWeb('policy-zero', 0));
    expect(zero.answer.status).toBe(403);
    expect(zero.answer.body).toEqual({ code: 'POLICY_DENIED', message: 'SkyfloPolicy "no-scale-to-zero" denies this k8s_scale call: Scale to zero needs a change ticket; nothing is minted' });
    await expect(accountOf(zero.document.name)).rejects.toThrow(/not found/);

    const two = await approveAndMint(scaleWeb('policy-two', 2));
    expect(two.answer.status, JSON.stringify(two.answer.body)).toBe(200);
    expect(two.answer.body.token).toEqual(expect.any(String));

    // the refusal recorded no grant: once the policy is gone the same approval mints
    await h.kubectl(['delete', 'skyflopolicy', 'no-scale-to-zero', '-n', installNamespace]);
    expect((await h.mint(executor, zero.document, scaleWeb('policy-zero', 0).args)).status).toBe(200);
  });

  it('judges the objects the grant writes: the deployment after its own dry-run, before as it is live', async () => {
    await install('SkyfloPolicy', 'no-empty-deployments', { expression: 'objects.exists(o, o.after.kind == "Deployment" && o.after.spec.replicas == 0)', effect: 'deny', message: 'A deployment keeps at least one pod' });
    // a policy over `before` too: the live deployment in prod has 2 replicas (the harness creates it so)
    await install('SkyfloPolicy', 'no-jump-from-two', { expression: 'objects.exists(o, o.before.metadata.namespace == "prod" && o.before.spec.replicas == 2 && o.after.spec.replicas == 7)', effect: 'deny', message: 'grow prod step by step' });

    const zero = await approveAndMint(scaleWeb('objects-zero', 0, 'prod'));
    expect(zero.answer.status).toBe(403);
    expect(zero.answer.body).toEqual({ code: 'POLICY_DENIED', message: 'SkyfloPolicy "no-empty-deployments" denies this k8s_scale call: A deployment keeps at least one pod; nothing is minted' });
    await expect(accountOf(zero.document.name)).rejects.toThrow(/not found/);

    const seven = await approveAndMint(scaleWeb('objects-seven', 7, 'prod'));
    expect(seven.answer.body).toEqual({ code: 'POLICY_DENIED', message: 'SkyfloPolicy "no-jump-from-two" denies this k8s_scale call: grow prod step by step; nothing is minted' });

    // neither matches 2 → 1
    const one = await approveAndMint(scaleWeb('objects-one', 1, 'prod'));
    expect(one.answer.status, JSON.stringify(one.answer.body)).toBe(200);
  });

  it("a require_passkey policy makes the executor check the approver's own passkey proof, which this approval lacks", async () => {
    await install('SkyfloPolicy', 'prod-needs-passkey', { expression: 'cluster.name == "kube-sim" && "prod" in namespaces', effect: 'require_passkey' });

    const prod = await approveAndMint(scaleWeb('passkey-prod', 3, 'prod'));
    expect(prod.answer.status).toBe(403);
    expect(prod.answer.body.code).toBe('APPROVER_SIGNATURE');
    expect(prod.answer.body.message).toContain('carries no approver passkey signature (SkyfloPolicy "prod-needs-passkey" asks for the approver\'s passkey on this call)');

    const staging = await approveAndMint(scaleWeb('passkey-staging', 3, 'staging'));
    expect(staging.answer.status, JSON.stringify(staging.answer.body)).toBe(200);
  });

  it('fails closed on a policy whose expression does not compile: every mint is refused, naming it, until it is disabled', async () => {
    await install('SkyfloPolicy', 'broken', { expression: 'tool == "k8s_scale" &&', effect: 'deny' });

    const refused = await approveAndMint(scaleWeb('broken-one', 2));
    expect(refused.answer.status).toBe(403);
    expect(refused.answer.body.code).toBe('POLICY_DENIED');
    expect(refused.answer.body.message).toMatch(/^SkyfloPolicy skyflo\/broken does not compile \(.+\); the executor fails closed and mints nothing until it is fixed or disabled$/);
    await expect(accountOf(refused.document.name)).rejects.toThrow(/not found/);

    await install('SkyfloPolicy', 'broken', { expression: 'tool == "k8s_scale" &&', effect: 'deny', enabled: false });
    expect((await h.mint(executor, refused.document, scaleWeb('broken-one', 2).args)).status).toBe(200);
  });
});

describe('require_approvers at the executor: N people other than the requester, each by their own signature', () => {
  // Ana asks (the harness's requester), Bob decides last (the harness's decider), Carl approved before him
  const bob = { id: 'user-bob', email: 'bob@example.com' };
  const carl = { id: 'user-carl', email: 'carl@example.com' };
  const dina = { id: 'user-dina', email: 'dina@example.com' };
  const keys = { bob: deviceKey(), carl: deviceKey(), dina: deviceKey() };
  const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

  beforeAll(async () => {
    for (const [key, person] of [[keys.bob, bob], [keys.carl, carl], [keys.dina, dina]] as const) {
      expect(await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: key.id, userId: person.id, email: person.email, publicKey: key.publicKey, kind: 'device_key' })).toMatchObject({ status: 201 });
    }
  });

  /** An approval decided by Bob (with his proof unless `deciderProof: false`), carrying `coApprovals` as the engine wrote them. */
  async function approvedBy(call: ReturnType<typeof scaleWeb>, coApprovals: SkyfloApprovalDocument['status']['coApprovals'], options: { deciderProof?: boolean } = {}) {
    const document = await h.signed(call, {
      status: { decidedBy: bob, ...(options.deciderProof === false ? {} : { approverProof: deviceProof(keys.bob, spec(call)) }), ...(coApprovals ? { coApprovals } : {}) },
    });
    expect(await h.api(executor, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
    return { document, answer: await h.mint(executor, document, call.args) };
  }
  const earlier = (person: typeof carl, proof?: ApproverProof) => ({ decidedBy: person, decidedAt: hourAgo(), ...(proof ? { approverProof: proof } : {}) });

  it('mints a prod scale only when two people other than the requester signed it, counting nobody twice and nobody without a proof', async () => {
    await install('SkyfloPolicy', 'prod-two-approvers', { expression: '"prod" in namespaces', effect: 'require_approvers', approvers: 2 });
    const why = 'SkyfloPolicy "prod-two-approvers" asks for 2 approvers other than the requester, each confirmed by their own passkey';

    // outside the policy's scope one approver without any proof still mints
    const staging = await approvedBy(scaleWeb('approvers-staging', 3, 'staging'), undefined, { deciderProof: false });
    expect(staging.answer.status, JSON.stringify(staging.answer.body)).toBe(200);

    // Bob alone (the engine's policy check removed: nothing else stops it)
    const alone = await approvedBy(scaleWeb('approvers-alone', 3, 'prod'), undefined);
    expect(alone.answer.status).toBe(403);
    expect(alone.answer.body).toEqual({ code: 'POLICY_DENIED', message: `${why}, and SkyfloApproval "${alone.document.name}" carries 1 (bob@example.com); nothing is minted` });
    await expect(accountOf(alone.document.name)).rejects.toThrow(/not found/);

    // Carl's approval in the engine's list, but no signature of his; Bob listed again counts once
    const unsigned = await approvedBy(scaleWeb('approvers-unsigned', 3, 'prod'), [earlier(carl), earlier(bob)]);
    expect(unsigned.answer.body).toEqual({ code: 'POLICY_DENIED', message: `${why}, and SkyfloApproval "${unsigned.document.name}" carries 1 (bob@example.com); not counted: carl@example.com approved without a passkey; nothing is minted` });

    // the requester's own approval never counts, signed or not
    const requester = await approvedBy(scaleWeb('approvers-requester', 3, 'prod'), [earlier({ id: 'user-ana', email: 'ana@example.com' }, deviceProof(keys.dina, spec(scaleWeb('approvers-requester', 3, 'prod'))))]);
    expect(requester.answer.body.code).toBe('POLICY_DENIED');
    expect(requester.answer.body.message).toContain('carries 1 (bob@example.com)');

    // Bob's own proof is required too: the policy's people are counted by their signatures, the decider's included
    const carlOnly = scaleWeb('approvers-carl-only', 3, 'prod');
    const noDecider = await approvedBy(carlOnly, [earlier(carl, deviceProof(keys.carl, spec(carlOnly)))], { deciderProof: false });
    expect(noDecider.answer.status).toBe(403);
    expect(noDecider.answer.body.code).toBe('APPROVER_SIGNATURE');
    expect(noDecider.answer.body.message).toContain(`carries no approver passkey signature (SkyfloPolicy "prod-two-approvers" asks for 2 approvers, each confirmed by their own passkey)`);
  });

  it("refuses a co-approval signed by someone else's key or over another call; counts one signed an hour ago", async () => {
    await install('SkyfloPolicy', 'prod-two-approvers', { expression: '"prod" in namespaces', effect: 'require_approvers', approvers: 2 });

    // "Carl" approved, says the engine — with Dina's key
    const impostor = scaleWeb('approvers-impostor', 3, 'prod');
    const byDina = await approvedBy(impostor, [earlier(carl, deviceProof(keys.dina, spec(impostor)))]);
    expect(byDina.answer.status).toBe(403);
    expect(byDina.answer.body).toEqual({ code: 'APPROVER_SIGNATURE', message: `SkyfloApproval "${byDina.document.name}" is signed by a device key of another user than its approver carl@example.com; nothing is minted for it` });

    // Carl's real signature, but over a scale to 9 — not this scale to 3
    const other = scaleWeb('approvers-other', 3, 'prod');
    const elsewhere = await approvedBy(other, [earlier(carl, deviceProof(keys.carl, spec(scaleWeb('approvers-other', 9, 'prod'))))]);
    expect(elsewhere.answer.status).toBe(403);
    expect(elsewhere.answer.body.message).toContain("carries a device key signature that does not sign this approval's facts");
    await expect(accountOf(elsewhere.document.name)).rejects.toThrow(/not found/);

    // Carl signed this call an hour ago (his signature's expiry long past: consent given earlier counts) → minted
    const call = scaleWeb('approvers-two', 3, 'prod');
    const carlsProof = deviceProof(keys.carl, spec(call), hourAgo());
    const two = await approvedBy(call, [earlier(carl, carlsProof)]);
    expect(two.answer.status, JSON.stringify(two.answer.body)).toBe(200);
    expect(two.answer.body.token).toEqual(expect.any(String));
    await accountOf(two.document.name);

  });
});

describe('require_role at the executor: the role as the cluster declares it, recognised by the approver\'s own signature', () => {
  const zoe = { id: 'user-zoe', email: 'zoe@example.com' };
  const bob = { id: 'user-bob', email: 'bob@example.com' };
  const carl = { id: 'user-carl', email: 'carl@example.com' };
  const dina = { id: 'user-dina', email: 'dina@example.com' };
  const keys = { zoe: deviceKey(), bob: deviceKey(), carl: deviceKey(), dina: deviceKey() };

  beforeAll(async () => {
    for (const [key, person] of [[keys.zoe, zoe], [keys.bob, bob], [keys.carl, carl], [keys.dina, dina]] as const) {
      expect(await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: key.id, userId: person.id, email: person.email, publicKey: key.publicKey, kind: 'device_key' })).toMatchObject({ status: 201 });
    }
  });

  async function decided(on: RunningExecutor, call: ReturnType<typeof scaleWeb>, by: typeof zoe, options: { proof?: boolean; coApprovals?: SkyfloApprovalDocument['status']['coApprovals'] } = {}) {
    const key = keys[by.id.replace('user-', '') as keyof typeof keys];
    const document = await h.signed(call, { status: { decidedBy: by, ...(options.proof === false ? {} : { approverProof: deviceProof(key, spec(call)) }), ...(options.coApprovals ? { coApprovals: options.coApprovals } : {}) } });
    expect(await h.api(on, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
    return { document, answer: await h.mint(on, document, call.args) };
  }

  it('mints a prod change only when a person the cluster names as admin signed it; the engine\'s word alone is not a role', async () => {
    await install('SkyfloPolicy', 'prod-admins', { expression: '"prod" in namespaces', effect: 'require_role', role: 'admin' });

    // Bob approved (an admin in the engine, perhaps), but the cluster does not name him
    const bobs = await decided(executor, scaleWeb('role-bob', 3, 'prod'), bob);
    expect(bobs.answer.status).toBe(403);
    expect(bobs.answer.body).toEqual({ code: 'POLICY_DENIED', message: `SkyfloApproval "${bobs.document.name}" needs the admin role (SkyfloPolicy "prod-admins"), but it is signed by bob@example.com, who is not among the admin role's members in this cluster (SkyfloAI spec.approvals.roleMembers); nothing is minted` });
    await expect(accountOf(bobs.document.name)).rejects.toThrow(/not found/);

    // Zoe, without her signature: the engine saying "Zoe" is not enough
    const unsigned = await decided(executor, scaleWeb('role-unsigned', 3, 'prod'), zoe, { proof: false });
    expect(unsigned.answer.status).toBe(403);
    expect(unsigned.answer.body.code).toBe('APPROVER_SIGNATURE');
    expect(unsigned.answer.body.message).toContain('carries no approver passkey signature (SkyfloPolicy "prod-admins" asks for the admin role, confirmed by the approver\'s own passkey)');

    // Zoe with her own key (named by email, matched without case) → minted
    const zoes = await decided(executor, scaleWeb('role-zoe', 3, 'prod'), zoe);
    expect(zoes.answer.status, JSON.stringify(zoes.answer.body)).toBe(200);
    await accountOf(zoes.document.name);
  });

  it('an approver role counts admins too, and each person a require_approvers policy counts must hold it', async () => {
    await install('SkyfloPolicy', 'prod-approvers', { expression: '"prod" in namespaces', effect: 'require_role', role: 'approver' });
    await install('SkyfloPolicy', 'prod-two', { expression: '"prod" in namespaces', effect: 'require_approvers', approvers: 2 });
    const earlier = (person: typeof zoe, call: ReturnType<typeof scaleWeb>) => [{ decidedBy: person, decidedAt: new Date().toISOString(), approverProof: deviceProof(keys[person.id.replace('user-', '') as keyof typeof keys], spec(call)) }];

    // Carl signed too, but he holds no role in this cluster: one of two
    const withCarl = scaleWeb('role-carl', 3, 'prod');
    const carls = await decided(executor, withCarl, bob, { coApprovals: earlier(carl, withCarl) });
    expect(carls.answer.status).toBe(403);
    expect(carls.answer.body).toEqual({ code: 'POLICY_DENIED', message: `SkyfloPolicy "prod-two" asks for 2 approvers other than the requester, each confirmed by their own passkey, and SkyfloApproval "${carls.document.name}" carries 1 (bob@example.com); not counted: carl@example.com is not among the approver role's members in this cluster (SkyfloAI spec.approvals.roleMembers); nothing is minted` });

    // Zoe (an admin) decides after Dina (an approver): both count → minted
    const withDina = scaleWeb('role-dina', 3, 'prod');
    const minted = await decided(executor, withDina, zoe, { coApprovals: earlier(dina, withDina) });
    expect(minted.answer.status, JSON.stringify(minted.answer.body)).toBe(200);
  });

  it('a cluster that declares nobody with the role mints nothing a require_role policy matches, saying where to declare it', async () => {
    const undeclared = await h.startExecutor();
    try {
      await install('SkyfloPolicy', 'prod-admins', { expression: '"prod" in namespaces', effect: 'require_role', role: 'admin' });
      const refused = await decided(undeclared, scaleWeb('role-none', 3, 'prod'), zoe);
      expect(refused.answer.status).toBe(403);
      expect(refused.answer.body.message).toBe('SkyfloPolicy "prod-admins" asks for the admin role, and this cluster declares nobody who holds it (SkyfloAI spec.approvals.roleMembers.admin, the executor\'s SKYFLO_EXECUTOR_ROLE_MEMBERS) — the engine\'s user roles are not the cluster\'s to trust; nothing is minted');
      // outside the policy's scope it mints as before
      expect((await decided(undeclared, scaleWeb('role-none-staging', 3, 'staging'), zoe)).answer.status).toBe(200);
    } finally {
      await undeclared.close();
    }
  });
});

describe('SkyfloFreeze objects, judged by the executor at each mint', () => {
  const hour = 3_600_000;
  const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

  it('refuses a mint inside a freeze covering the namespace, naming it and when it ends; an ended freeze or another namespace mints', async () => {
    const endsAt = iso(2 * hour);
    await install('SkyfloFreeze', 'staging-release', { starts_at: iso(-hour), ends_at: endsAt, namespaces: ['stag*'], reason: 'release weekend' });
    await install('SkyfloFreeze', 'last-week', { starts_at: iso(-200 * hour), ends_at: iso(-100 * hour), reason: 'over' });

    const frozen = await approveAndMint(scaleWeb('frozen-staging', 3, 'staging'));
    expect(frozen.answer.status).toBe(423);
    expect(frozen.answer.body).toEqual({ code: 'FROZEN', message: `the change freeze "staging-release" (SkyfloFreeze skyflo/staging-release) holds until ${new Date(endsAt).toISOString()} (release weekend); nothing in its scope is minted until it ends` });
    await expect(accountOf(frozen.document.name)).rejects.toThrow(/not found/);

    // outside its namespaces, and under the freeze that ended, the mint goes through
    const prod = await approveAndMint(scaleWeb('frozen-prod', 3, 'prod'));
    expect(prod.answer.status, JSON.stringify(prod.answer.body)).toBe(200);

    await h.kubectl(['delete', 'skyflofreeze', 'staging-release', '-n', installNamespace]);
    expect((await h.mint(executor, frozen.document, scaleWeb('frozen-staging', 3, 'staging').args)).status).toBe(200);
  });

  it('a freeze for another cluster does not hold here; one whose time zone is unknown refuses every mint', async () => {
    await install('SkyfloFreeze', 'other-cluster', { starts_at: iso(-hour), ends_at: iso(hour), clusters: ['prod-eu-*'], reason: 'EU freeze' });
    const minted = await approveAndMint(scaleWeb('other-cluster', 3));
    expect(minted.answer.status, JSON.stringify(minted.answer.body)).toBe(200);

    await install('SkyfloFreeze', 'bad-zone', { starts_at: iso(-hour), ends_at: iso(hour), recurrence: 'daily', time_zone: 'Mars/Olympus', reason: 'typo' });
    const refused = await approveAndMint(scaleWeb('bad-zone', 3));
    expect(refused.answer.status).toBe(423);
    expect(refused.answer.body.message).toBe('SkyfloFreeze skyflo/bad-zone cannot be read (time_zone "Mars/Olympus" is not an IANA time zone this executor knows); the executor fails closed and mints nothing until it is fixed or removed');
  });
});

describe("an admin's break-glass of a SkyfloFreeze, at the executor", () => {
  const hour = 3_600_000;
  const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
  // Zoe (admin) may break the freeze; Bob approves too but the object does not name him
  const zoe = { id: 'user-zoe', email: 'Zoe@Example.com' };
  const bob = { id: 'user-bob', email: 'bob@example.com' };
  const zoeDevice = deviceKey();
  const bobDevice = deviceKey();
  const breakGlass = { reason: 'INC-42: checkout down', freeze: 'year-end' };

  beforeAll(async () => {
    for (const [key, person] of [[zoeDevice, zoe], [bobDevice, bob]] as const) {
      expect(await h.api(executor, 'POST', '/v1/approver-keys', { credentialId: key.id, userId: person.id, email: person.email, publicKey: key.publicKey, kind: 'device_key' })).toMatchObject({ status: 201 });
    }
  });

  /** An approval as the engine signs a break-glass: decided by `by`, with their device key's proof unless `proof: false`. */
  async function brokenFor(label: string, by: typeof zoe, options: { key?: DeviceKey; proof?: boolean; freeze?: string } = {}) {
    const call = scaleWeb(`glass-${label}`, 3, 'staging');
    const proof = options.proof === false ? {} : { approverProof: deviceProof(options.key ?? (by === zoe ? zoeDevice : bobDevice), spec(call)) };
    const document = await h.signed(call, { status: { decidedBy: by, breakGlass: { ...breakGlass, freeze: options.freeze ?? breakGlass.freeze }, ...proof } });
    expect(await h.api(executor, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
    return { document, answer: await h.mint(executor, document, call.args) };
  }

  it('mints only for a person the freeze names, with their own signature; the engine\'s word alone breaks nothing', async () => {
    await install('SkyfloFreeze', 'year-end', { starts_at: iso(-hour), ends_at: iso(2 * hour), reason: 'year-end freeze', break_glass: { approvers: ['zoe@example.com'] } });

    // the engine signed "break glass" but nobody's key signed the call: a stolen engine key breaks no freeze
    const unsigned = await brokenFor('unsigned', zoe, { proof: false });
    expect(unsigned.answer.status).toBe(403);
    expect(unsigned.answer.body.code).toBe('APPROVER_SIGNATURE');
    expect(unsigned.answer.body.message).toContain('breaking the change freeze "year-end" (SkyfloFreeze skyflo/year-end) needs the approver\'s own passkey');
    await expect(accountOf(unsigned.document.name)).rejects.toThrow(/not found/);

    // Bob's own signature, but the freeze does not name him
    const bobs = await brokenFor('bob', bob);
    expect(bobs.answer.status).toBe(423);
    expect(bobs.answer.body).toEqual({ code: 'FROZEN', message: `SkyfloApproval "${bobs.document.name}" breaks a change freeze, but it is signed by bob@example.com, who is not among SkyfloFreeze skyflo/year-end's break_glass.approvers; nothing is minted` });
    await expect(accountOf(bobs.document.name)).rejects.toThrow(/not found/);

    // a break-glass of another freeze than the one holding breaks nothing
    const other = await brokenFor('other', zoe, { freeze: 'spring' });
    expect(other.answer.status).toBe(423);
    expect(other.answer.body.message).toMatch(/^the change freeze "year-end" \(SkyfloFreeze skyflo\/year-end\) holds until .+; nothing in its scope is minted until it ends$/);

    // Zoe, named (her email matched without case), with her own key: the credential is minted
    const zoes = await brokenFor('zoe', zoe);
    expect(zoes.answer.status, JSON.stringify(zoes.answer.body)).toBe(200);
    expect(zoes.answer.body.token).toEqual(expect.any(String));
    await accountOf(zoes.document.name);
  });

  it('a freeze naming nobody holds against any break-glass, saying how to lift it', async () => {
    await install('SkyfloFreeze', 'year-end', { starts_at: iso(-hour), ends_at: iso(2 * hour), reason: 'year-end freeze' });
    const refused = await brokenFor('nobody', zoe);
    expect(refused.answer.status).toBe(423);
    expect(refused.answer.body.code).toBe('FROZEN');
    expect(refused.answer.body.message).toContain('and it names nobody who may break it in the cluster (spec.break_glass.approvers); the break-glass approved in Skyflo mints nothing here — edit or delete the SkyfloFreeze to let the change run');
  });

  it('a break_glass list it cannot read (nobody in it) makes the executor refuse every mint, naming the object', async () => {
    // the CRD says minItems: 1; an API server that skipped the schema (kube-sim does not check it) still meets the executor's own check
    await install('SkyfloFreeze', 'empty-glass', { starts_at: iso(-hour), ends_at: iso(hour), namespaces: ['elsewhere'], reason: 'r', break_glass: { approvers: [] } });
    const refused = await brokenFor('empty', zoe);
    expect(refused.answer.status).toBe(423);
    expect(refused.answer.body.message).toBe('SkyfloFreeze skyflo/empty-glass cannot be read (break_glass: approvers: name at least one approver (an email or a user id)); the executor fails closed and mints nothing until it is fixed or removed');
  });
});

describe('guardrails the executor cannot read', () => {
  it('refuses every mint when its identity may not list SkyfloPolicy objects (fail closed)', async () => {
    // an install whose executor Role lacks the issue-76 rule (an old chart): take it away
    const role = JSON.parse(await h.kubectl(['get', 'role', 'skyflo-executor', '-n', installNamespace, '-o', 'json']));
    const without = { ...role, rules: role.rules.filter((rule: { resources: string[] }) => !rule.resources.includes('skyflopolicies')) };
    await h.kubectl(['replace', '-f', '-'], JSON.stringify(without));
    try {
      const refused = await approveAndMint(scaleWeb('no-rbac', 3));
      expect(refused.answer.status).toBe(403);
      expect(refused.answer.body.code).toBe('POLICY_DENIED');
      expect(refused.answer.body.message).toMatch(/^the executor could not read the SkyfloPolicy objects in skyflo \(.+\); nothing is minted until it can \(skyflo-executor needs get\/list on skyflopolicies\.skyflo\.ai\)$/);
    } finally {
      await h.kubectl(['replace', '-f', '-'], JSON.stringify({ ...role, metadata: { ...role.metadata, resourceVersion: undefined } }));
    }
  });
});

describe('the same policy in the API server (the ValidatingAdmissionPolicy the operator makes of it)', () => {
  it('refuses a write no executor checked: the credential minted for a scale to 1, used for a scale to 0', async () => {
    await install('SkyfloPolicy', 'no-empty-deployments', { expression: 'objects.exists(o, o.after.kind == "Deployment" && o.after.spec.replicas == 0)', effect: 'deny', message: 'A deployment keeps at least one pod' });
    // what the operator installs for it (its reconcile is tested in operator-policy-admission.test.ts)
    const policy = JSON.parse(await h.kubectl(['get', 'skyflopolicy', 'no-empty-deployments', '-n', installNamespace, '-o', 'json']));
    const plan = policyAdmissionPlan({ apiVersion: 'skyflo.ai/v1', kind: 'SkyfloAI', metadata: { name: 'sky', namespace: installNamespace } }, [policy]);
    await h.kubectl(['apply', '-f', '-'], plan.objects.map((object) => toYaml(object)).join('---\n'));
    try {
      const one = await approveAndMint(scaleWeb('vap-one', 1));
      expect(one.answer.status, JSON.stringify(one.answer.body)).toBe(200);
      const vap = 'skyflo-skyflo-sky-no-empty-deployments';
      const zero = await h.kubectlAs(one.answer.body.token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=0']);
      expect(zero.code).not.toBe(0);
      expect(zero.stderr).toContain(`Error from server (Forbidden): deployments.apps "web" is forbidden: ValidatingAdmissionPolicy '${vap}' with binding '${vap}' denied request: SkyfloPolicy "no-empty-deployments" denies this change: A deployment keeps at least one pod`);
      expect(await h.kubectl(['get', 'deployment', 'web', '-n', 'staging', '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
      // what the credential was minted for goes through; the admin's own scale to 0 is not the policy's business
      expect((await h.kubectlAs(one.answer.body.token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=1'])).stderr).toBe('');
      await h.kubectl(['scale', 'deployment', 'web', '-n', 'staging', '--replicas=0']);
    } finally {
      await h.kubectl(['delete', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '--all']);
      await h.kubectl(['scale', 'deployment', 'web', '-n', 'staging', '--replicas=2']);
    }
  });
});
