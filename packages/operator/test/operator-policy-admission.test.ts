/**
 * Issue 76, "enforced twice" in the API server itself: with cluster-enforced approvals the operator installs each
 * enabled SkyfloPolicy that admission can judge as a ValidatingAdmissionPolicy bound to this install's per-approval
 * accounts. A write by a `skyflo-approval-*` identity that no executor checked (here: impersonated directly, as a
 * leaked token would be used) is refused by the API server (kube-sim, with kube-apiserver's words) while any other
 * identity is unaffected; a policy the cluster cannot judge (it reads `tool`, or asks for approvers) is not installed
 * and the SkyfloAI says why; a disabled or deleted policy's objects go. Through the real kubectl.
 */
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition, eventually, startOperatorHarness, type OperatorHarness } from './support/operator-harness.ts';

let harness: OperatorHarness;
const approvalAccount = 'system:serviceaccount:skyflo:skyflo-approval-test-1';
const vapName = 'skyflo-skyflo-sky-no-scale-to-zero';

beforeAll(async () => {
  harness = await startOperatorHarness();
  // the CRDs first: the operator watches SkyfloPolicies when their kind is served
  for (const crd of ['skyflopolicies.skyflo.ai.yaml', 'skyfloapprovals.skyflo.ai.yaml']) await harness.kubectl(['apply', '-f', path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds', crd)]);
  await harness.startInProcess();
  for (const namespace of ['skyflo', 'prod']) await harness.kubectl(['create', 'namespace', namespace]);
  await harness.kubectl(['create', 'deployment', 'web', '-n', 'prod', '--image=nginx', '--replicas=2']);
  // both identities may scale anything: RBAC is not what stops them below
  await harness.kubectl(['create', 'clusterrolebinding', 'approval-account-admin', '--clusterrole=cluster-admin', `--user=${approvalAccount}`]);
  await harness.kubectl(['create', 'clusterrolebinding', 'alice-admin', '--clusterrole=cluster-admin', '--user=alice']);
  await harness.apply(`apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: skyflo}\nspec: {rbac: {profile: cluster-admin-like}}\n`);
});

afterAll(async () => {
  await harness?.close();
});

const install = (name: string, spec: Record<string, unknown>) => harness.kubectl(['apply', '-f', '-'], toYaml({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloPolicy', metadata: { name, namespace: 'skyflo' }, spec }));

/** kubectl as `user` (impersonated by the admin); never rejects, answers what kubectl printed. */
async function kubectlAs(user: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return harness.kubectl([...args, `--as=${user}`]).then(
    (output) => ({ ok: true, output }),
    (error: Error) => ({ ok: false, output: error.message }),
  );
}

const replicas = async () => (await harness.getJson(['get', 'deployment', 'web', '-n', 'prod'])).spec.replicas;
const policiesCondition = async (wanted: (entry: any) => boolean) => {
  let last: any;
  return eventually(async () => {
    last = condition(await harness.tryGet('skyfloai', 'sky', 'skyflo'), 'PoliciesInCluster');
    return last && wanted(last) ? last : undefined;
  }, { what: 'the PoliciesInCluster condition' }).catch((error: Error) => {
    throw new Error(`${error.message}; last: ${JSON.stringify(last)}`);
  });
};

describe('SkyfloPolicies as ValidatingAdmissionPolicies bound to the approval accounts', () => {
  it('refuses a scale to 0 by an approval identity the executor never checked, with the API server words; others are unaffected', async () => {
    await install('no-scale-to-zero', { expression: 'objects.exists(o, o.after.kind == "Deployment" && o.after.spec.replicas == 0)', effect: 'deny', message: 'A deployment keeps at least one pod.' });
    await install('scale-tool-only', { expression: 'tool == "k8s_scale" && args.replicas == 0', effect: 'deny' });
    await install('prod-two-approvers', { expression: '"prod" in namespaces', effect: 'require_approvers', approvers: 2 });

    const said = await policiesCondition((entry) => ['no-scale-to-zero (Deny)', 'scale-tool-only', 'prod-two-approvers'].every((name) => entry.message.includes(name)));
    expect(said).toMatchObject({ status: 'False', reason: 'NotAllInstalled' });
    expect(said.message).toContain('scale-tool-only: it reads tool, args, which the API server cannot know at admission');
    expect(said.message).toContain('prod-two-approvers: its effect asks about the approval, which the executor checks when it mints');
    const vap = await harness.getJson(['get', 'validatingadmissionpolicy', vapName]);
    expect(vap.spec.matchConditions[0].expression).toBe("request.userInfo.username.startsWith('system:serviceaccount:skyflo:skyflo-approval-')");
    expect((await harness.getJson(['get', 'validatingadmissionpolicybinding', vapName])).spec).toEqual({ policyName: vapName, validationActions: ['Deny'] });
    expect(await harness.kubectl(['get', 'validatingadmissionpolicies', '-o', 'name'])).toBe(`validatingadmissionpolicy.admissionregistration.k8s.io/${vapName}\n`);

    const refusal = `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy '${vapName}' with binding '${vapName}' denied request: SkyfloPolicy "no-scale-to-zero" denies this change: A deployment keeps at least one pod`;
    // through the scale subresource (kubectl scale, what k8s_scale runs) and through the deployment itself
    const scaled = await kubectlAs(approvalAccount, ['scale', 'deployment', 'web', '-n', 'prod', '--replicas=0']);
    expect(scaled.ok).toBe(false);
    expect(scaled.output).toContain(`Error from server (Forbidden): ${refusal}`);
    const patched = await kubectlAs(approvalAccount, ['patch', 'deployment', 'web', '-n', 'prod', '--type=merge', '-p', '{"spec":{"replicas":0}}']);
    expect(patched.output).toContain(refusal);
    expect(await replicas()).toBe(2);

    // another identity is not bound: the same scale goes through
    expect(await kubectlAs('alice', ['scale', 'deployment', 'web', '-n', 'prod', '--replicas=0'])).toMatchObject({ ok: true });
    expect(await replicas()).toBe(0);
    await harness.kubectl(['scale', 'deployment', 'web', '-n', 'prod', '--replicas=2']);
  });

  it('binds namespaces and cluster as the executor sees them: a create in prod on this cluster is refused', async () => {
    await install('no-new-objects-in-prod', { expression: '"prod" in namespaces && cluster.name == "in-cluster" && objects.all(o, o.before == null)', effect: 'deny', message: 'nothing new in prod' });
    const name = 'skyflo-skyflo-sky-no-new-objects-in-prod';
    await eventually(() => harness.tryGet('validatingadmissionpolicybinding', name, ''), { what: 'the policy installed' });
    const created = await kubectlAs(approvalAccount, ['create', 'configmap', 'extra', '-n', 'prod', '--from-literal=a=b']);
    expect(created.output).toContain(`configmaps "extra" is forbidden: ValidatingAdmissionPolicy '${name}' with binding '${name}' denied request: SkyfloPolicy "no-new-objects-in-prod" denies this change: nothing new in prod`);
    // an update is not new, and another namespace is not prod: neither meets this policy (the executor's webhook answers them)
    for (const args of [['annotate', 'deployment', 'web', '-n', 'prod', 'a=b'], ['create', 'configmap', 'extra', '-n', 'skyflo', '--from-literal=a=b']]) {
      expect((await kubectlAs(approvalAccount, args)).output).not.toContain('ValidatingAdmissionPolicy');
    }
    await harness.kubectl(['delete', 'skyflopolicy', 'no-new-objects-in-prod', '-n', 'skyflo']);
  });

  it("reads the cluster's labels and role members from the SkyfloAI (not the engine's word): \"no scale to zero in prod\" holds in the API server and reaches the executor", async () => {
    const name = 'skyflo-skyflo-sky-no-zero-in-prod';
    // alone: the first test's policy would refuse the same scale before this one is asked
    await harness.kubectl(['delete', 'skyflopolicy', 'no-scale-to-zero', '-n', 'skyflo']);
    await eventually(async () => !(await harness.tryGet('validatingadmissionpolicy', vapName, '')), { what: 'the first policy to leave the API server' });
    await install('no-zero-in-prod', { expression: 'objects.exists(o, o.after.kind == "Deployment" && o.after.spec.replicas == 0) && cluster.labels.env == "prod"', effect: 'deny', message: 'not in prod' });
    await eventually(() => harness.tryGet('validatingadmissionpolicybinding', name, ''), { what: 'the policy installed' });
    // no labels given: this cluster is not "prod" to the policy, so it does not apply (the executor's webhook, which
    // nothing serves here, is what answers)
    const unlabelled = await kubectlAs(approvalAccount, ['scale', 'deployment', 'web', '-n', 'prod', '--replicas=0']);
    expect(unlabelled.output).not.toContain('ValidatingAdmissionPolicy');
    expect(unlabelled.output).toContain('failed calling webhook "approvals.executor.skyflo.ai"');

    await harness.apply(`apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: skyflo}\nspec: {rbac: {profile: cluster-admin-like}, approvals: {clusterLabels: {env: prod}, roleMembers: {admin: [zoe@example.com]}}}\n`);
    await eventually(async () => JSON.stringify((await harness.getJson(['get', 'validatingadmissionpolicy', name])).spec.variables).includes("'env': 'prod'"), { what: 'the labels in the policy' });
    const refused = await kubectlAs(approvalAccount, ['scale', 'deployment', 'web', '-n', 'prod', '--replicas=0']);
    expect(refused.output).toContain(`ValidatingAdmissionPolicy '${name}' with binding '${name}' denied request: SkyfloPolicy "no-zero-in-prod" denies this change: not in prod`);
    expect(await replicas()).toBe(2);
    // the executor judges its mints with the same labels
    const executor = await harness.getJson(['get', 'deployment', 'sky-executor', '-n', 'skyflo']);
    expect(executor.spec.template.spec.containers[0].env).toContainEqual({ name: 'SKYFLO_EXECUTOR_CLUSTER_LABELS', value: '{"env":"prod"}' });
    // …and confirms a require_role policy by the people the SkyfloAI names, not by the engine's user roles
    expect(executor.spec.template.spec.containers[0].env).toContainEqual({ name: 'SKYFLO_EXECUTOR_ROLE_MEMBERS', value: '{"admin":["zoe@example.com"]}' });

    await harness.kubectl(['delete', 'skyflopolicy', 'no-zero-in-prod', '-n', 'skyflo']);
    await eventually(async () => !(await harness.tryGet('validatingadmissionpolicy', name, '')), { what: 'the policy to leave the API server' });
    await harness.apply(`apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: skyflo}\nspec: {rbac: {profile: cluster-admin-like}}\n`);
  });

  it('removes the policy from the API server when it is disabled, and when it is deleted', async () => {
    await install('no-scale-to-zero', { expression: 'objects.exists(o, o.after.kind == "Deployment" && o.after.spec.replicas == 0)', effect: 'deny', message: 'A deployment keeps at least one pod.', enabled: false });
    await eventually(async () => !(await harness.tryGet('validatingadmissionpolicy', vapName, '')) && !(await harness.tryGet('validatingadmissionpolicybinding', vapName, '')), { what: 'the disabled policy to leave the API server' });
    // said on the SkyfloAI (kubectl describe sky)
    const events = await harness.kubectl(['get', 'events', '-n', 'skyflo', '--field-selector', 'involvedObject.name=sky', '-o', 'jsonpath={.items[*].message}']);
    expect(events).toContain(`Deleted ValidatingAdmissionPolicy ${vapName}: its SkyfloPolicy is disabled or gone, or approvals are no longer enforced in the cluster`);
    // the approval account's write now meets only the executor's webhook (whose Service nothing serves here)
    const scaled = await kubectlAs(approvalAccount, ['scale', 'deployment', 'web', '-n', 'prod', '--replicas=0']);
    expect(scaled.output).not.toContain('ValidatingAdmissionPolicy');
    expect(scaled.output).toContain('failed calling webhook "approvals.executor.skyflo.ai"');

    await install('no-empty-prod', { expression: 'objects.exists(o, o.after.spec.replicas == 0) && "prod" in namespaces', effect: 'warn', message: 'prod keeps a pod' });
    await eventually(() => harness.tryGet('validatingadmissionpolicybinding', 'skyflo-skyflo-sky-no-empty-prod', ''), { what: 'the warn policy installed' });
    expect((await harness.getJson(['get', 'validatingadmissionpolicybinding', 'skyflo-skyflo-sky-no-empty-prod'])).spec.validationActions).toEqual(['Warn']);
    await harness.kubectl(['delete', 'skyflopolicy', 'no-empty-prod', '-n', 'skyflo']);
    await eventually(async () => !(await harness.tryGet('validatingadmissionpolicy', 'skyflo-skyflo-sky-no-empty-prod', '')), { what: 'the deleted policy to leave the API server' });
  });

  it('removes them all when the install stops enforcing approvals in the cluster', async () => {
    await install('no-scale-to-zero', { expression: 'objects.exists(o, o.after.kind == "Deployment" && o.after.spec.replicas == 0)', effect: 'deny' });
    await eventually(() => harness.tryGet('validatingadmissionpolicy', vapName, ''), { what: 'the policy installed again' });
    await harness.apply(`apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: skyflo}\nspec: {rbac: {profile: cluster-admin-like}, approvals: {enforcement: engine}}\n`);
    await eventually(async () => (await harness.kubectl(['get', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '-o', 'name'])).trim() === '', { what: 'every policy to leave the API server' });
    expect(condition(await harness.tryGet('skyfloai', 'sky', 'skyflo'), 'PoliciesInCluster')).toBeUndefined();
  });
});
