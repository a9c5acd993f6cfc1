/*
 * ValidatingAdmissionPolicy and its bindings (admissionregistration.k8s.io/v1) as the real API server serves and
 * enforces them, through the real kubectl: discovery and apply, matching (resources, subresources, operations,
 * namespaceSelector, matchConditions on the requester), variables, messages (message, messageExpression, the failed
 * expression), reasons, failurePolicy, the Warn action's Warning header and paramRef with parameterNotFoundAction.
 */
import { stringify as toYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type KubeSimHarness } from './support/kube-sim-harness.ts';

let harness: KubeSimHarness;
const approvalAccount = 'system:serviceaccount:skyflo:skyflo-approval-a1';

beforeAll(async () => {
  harness = await startHarness({ workloads: false });
  await ok(['create', 'namespace', 'test']);
  await ok(['label', 'namespace', 'test', 'environment=test']);
  await ok(['create', 'namespace', 'dev']);
  for (const namespace of ['test', 'dev']) await ok(['create', 'deployment', 'web', '-n', namespace, '--image=nginx', '--replicas=2']);
  // the identities the tests impersonate may write anything: only the policies stand in their way
  for (const user of [approvalAccount, 'alice']) await ok(['create', 'clusterrolebinding', `admin-${user.replace(/[^a-z0-9]/g, '-')}`, '--clusterrole=cluster-admin', `--user=${user}`]);
});

afterAll(async () => {
  await harness?.close();
});

afterEach(async () => {
  await ok(['delete', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '--all']);
});

async function ok(args: string[], input?: string): Promise<string> {
  const result = await harness.kubectl(args, input === undefined ? {} : { input });
  expect(result.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

const apply = (...objects: object[]) => ok(['apply', '-f', '-'], objects.map((object) => toYaml(object)).join('---\n'));

function policy(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec };
}

function binding(name: string, policyName: string, spec: Record<string, unknown> = {}) {
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName, validationActions: ['Deny'], ...spec } };
}

const deploymentRules = (resources = ['deployments'], operations = ['CREATE', 'UPDATE']) => ({ resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations, resources }] });

describe('served like the real API', () => {
  it('discovery lists both kinds; kubectl apply, get and delete them; a policy that does not compile is refused', async () => {
    const resources = await ok(['api-resources', '--api-group=admissionregistration.k8s.io', '-o', 'name']);
    expect(resources.split('\n')).toEqual(expect.arrayContaining(['validatingadmissionpolicies.admissionregistration.k8s.io', 'validatingadmissionpolicybindings.admissionregistration.k8s.io']));
    await apply(policy('max-replicas', { matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas <= 5' }] }), binding('max-replicas-test', 'max-replicas'));
    expect(await ok(['get', 'validatingadmissionpolicy', 'max-replicas', '-o', 'jsonpath={.spec.validations[0].expression}'])).toBe('object.spec.replicas <= 5');
    expect(await ok(['get', 'validatingadmissionpolicybindings', '-o', 'name'])).toBe('validatingadmissionpolicybinding.admissionregistration.k8s.io/max-replicas-test\n');
    const table = (text: string) => text.trim().split('\n').map((line) => line.trim().split(/\s+/).slice(0, -1));
    expect(table(await ok(['get', 'validatingadmissionpolicies']))).toEqual([['NAME', 'VALIDATIONS', 'PARAMKIND'], ['max-replicas', '1', '<unset>']]);
    expect(table(await ok(['get', 'validatingadmissionpolicybindings']))).toEqual([['NAME', 'POLICYNAME', 'PARAMREF'], ['max-replicas-test', 'max-replicas', '<unset>']]);

    const broken = await harness.kubectl(['apply', '-f', '-'], { input: toYaml(policy('broken', { matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas <=' }] })) });
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('The ValidatingAdmissionPolicy "broken" is invalid: spec.validations[0].expression: Invalid value: "object.spec.replicas <=": compilation failed:');
    const noActions = await harness.kubectl(['apply', '-f', '-'], { input: toYaml(binding('no-actions', 'max-replicas', { validationActions: [] })) });
    expect(noActions.stderr).toContain('spec.validationActions: Required value: at least one validation action is required');
  });
});

describe('enforced on the writes a binding selects', () => {
  it('denies with the failed expression in a namespace the binding selects, and leaves the others alone', async () => {
    await apply(
      policy('max-replicas', { matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas <= 5' }] }),
      binding('max-replicas-test', 'max-replicas', { matchResources: { namespaceSelector: { matchLabels: { environment: 'test' } } } }),
    );
    const denied = await harness.kubectl(['create', 'deployment', 'big', '-n', 'test', '--image=nginx', '--replicas=7']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`deployments.apps "big" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-test' denied request: failed expression: object.spec.replicas <= 5`);
    expect((await harness.kubectl(['get', 'deployment', 'big', '-n', 'test'])).code).not.toBe(0);
    // an update through the main resource is judged too; the unlabelled namespace is not selected
    const patched = await harness.kubectl(['patch', 'deployment', 'web', '-n', 'test', '--type=merge', '-p', '{"spec":{"replicas":9}}']);
    expect(patched.stderr).toContain(`The deployments "web" is invalid: : ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-test' denied request: failed expression: object.spec.replicas <= 5`);
    await ok(['create', 'deployment', 'big', '-n', 'dev', '--image=nginx', '--replicas=7']);
    // kubectl scale writes deployments/scale, which a rule for `deployments` alone does not select
    await ok(['scale', 'deployment', 'web', '-n', 'test', '--replicas=8']);
    await ok(['scale', 'deployment', 'web', '-n', 'test', '--replicas=2']);
  });

  it('judges the scale subresource, matchConditions on the requester, variables, messageExpression and reason', async () => {
    await apply(
      policy('no-scale-to-zero', {
        matchConstraints: deploymentRules(['deployments', 'deployments/scale'], ['UPDATE']),
        matchConditions: [{ name: 'approval-accounts', expression: "request.userInfo.username.startsWith('system:serviceaccount:skyflo:skyflo-approval-')" }],
        variables: [{ name: 'replicas', expression: 'object.spec.replicas' }],
        validations: [{ expression: 'variables.replicas > 0', messageExpression: "'scale of ' + request.name + ' in ' + request.namespace + ' to ' + string(variables.replicas) + ' (' + request.subResource + ') by ' + request.userInfo.username", reason: 'Forbidden' }],
      }),
      binding('no-scale-to-zero', 'no-scale-to-zero'),
    );
    const denied = await harness.kubectl(['scale', 'deployment', 'web', '-n', 'dev', '--replicas=0', `--as=${approvalAccount}`]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`Error from server (Forbidden): deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'no-scale-to-zero' with binding 'no-scale-to-zero' denied request: scale of web in dev to 0 (scale) by ${approvalAccount}`);
    expect(await ok(['get', 'deployment', 'web', '-n', 'dev', '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
    // another identity is not matched; the approval account may scale to 1
    await ok(['scale', 'deployment', 'web', '-n', 'dev', '--replicas=0', '--as=alice']);
    await ok(['scale', 'deployment', 'web', '-n', 'dev', '--replicas=1', `--as=${approvalAccount}`]);
    await ok(['scale', 'deployment', 'web', '-n', 'dev', '--replicas=2']);
  });

  it('judges a delete by its oldObject', async () => {
    await ok(['create', 'configmap', 'keep-me', '-n', 'dev', '--from-literal=a=b']);
    await ok(['label', 'configmap', 'keep-me', '-n', 'dev', 'protected=true']);
    await apply(
      policy('protected', { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['configmaps'] }] }, validations: [{ expression: "object == null && !(has(oldObject.metadata.labels) && 'protected' in oldObject.metadata.labels && oldObject.metadata.labels['protected'] == 'true')", message: 'protected objects stay' }] }),
      binding('protected', 'protected'),
    );
    const denied = await harness.kubectl(['delete', 'configmap', 'keep-me', '-n', 'dev']);
    expect(denied.stderr).toContain(`The configmaps "keep-me" is invalid: : ValidatingAdmissionPolicy 'protected' with binding 'protected' denied request: protected objects stay`);
    await ok(['label', 'configmap', 'keep-me', '-n', 'dev', 'protected-']);
    await ok(['delete', 'configmap', 'keep-me', '-n', 'dev']);
  });

  it('failurePolicy: an expression error denies under Fail with the CEL error, and admits under Ignore', async () => {
    const failing = (failurePolicy: string) => policy('needs-team', { failurePolicy, matchConstraints: deploymentRules(), validations: [{ expression: "object.metadata.labels['team'] != ''" }] });
    await apply(failing('Fail'), binding('needs-team', 'needs-team'));
    const denied = await harness.kubectl(['create', 'deployment', 'no-team', '-n', 'dev', '--image=nginx']);
    expect(denied.stderr).toContain(`ValidatingAdmissionPolicy 'needs-team' with binding 'needs-team' denied request: expression 'object.metadata.labels['team'] != ''' resulted in error: no such key: team`);
    await apply(failing('Ignore'));
    await ok(['create', 'deployment', 'no-team', '-n', 'dev', '--image=nginx']);
  });

  it('Warn admits the write and answers a Warning header that kubectl prints', async () => {
    await apply(policy('max-replicas', { matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas <= 5' }] }), binding('max-replicas-warn', 'max-replicas', { validationActions: ['Warn'] }));
    const warned = await harness.kubectl(['create', 'deployment', 'warned', '-n', 'dev', '--image=nginx', '--replicas=6']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(`Warning: Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-warn': failed expression: object.spec.replicas <= 5`);
    expect(await ok(['get', 'deployment', 'warned', '-n', 'dev', '-o', 'jsonpath={.spec.replicas}'])).toBe('6');
  });
});

describe('parameters (paramKind and the binding paramRef)', () => {
  it('refuses while the parameter is missing (Deny), then judges against it by name; a selector finds it by label', async () => {
    await apply(
      policy('replica-limit', { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas <= int(params.data.maxReplicas)', messageExpression: "'at most ' + params.data.maxReplicas + ' replicas'" }] }),
      binding('replica-limit', 'replica-limit', { paramRef: { name: 'replica-limit', namespace: 'default', parameterNotFoundAction: 'Deny' } }),
    );
    const missing = await harness.kubectl(['create', 'deployment', 'p1', '-n', 'dev', '--image=nginx', '--replicas=2']);
    expect(missing.stderr).toContain("ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction");

    await ok(['create', 'configmap', 'replica-limit', '-n', 'default', '--from-literal=maxReplicas=3']);
    await ok(['label', 'configmap', 'replica-limit', '-n', 'default', 'policy=replicas']);
    const over = await harness.kubectl(['create', 'deployment', 'p1', '-n', 'dev', '--image=nginx', '--replicas=4']);
    expect(over.stderr).toContain("ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit' denied request: at most 3 replicas");
    await ok(['create', 'deployment', 'p1', '-n', 'dev', '--image=nginx', '--replicas=3']);

    // by selector, in the namespace of the write when the paramRef names none; Allow admits when nothing is found
    await apply(binding('replica-limit', 'replica-limit', { paramRef: { selector: { matchLabels: { policy: 'replicas' } }, parameterNotFoundAction: 'Allow' } }));
    await ok(['create', 'deployment', 'p2', '-n', 'dev', '--image=nginx', '--replicas=4']);
    await ok(['create', 'configmap', 'dev-limit', '-n', 'dev', '--from-literal=maxReplicas=1']);
    await ok(['label', 'configmap', 'dev-limit', '-n', 'dev', 'policy=replicas']);
    const overDev = await harness.kubectl(['create', 'deployment', 'p3', '-n', 'dev', '--image=nginx', '--replicas=2']);
    expect(overDev.stderr).toContain("denied request: at most 1 replicas");
  });
});
