/**
 * The operator against kube-sim (whose controllers make pods Ready): an empty SkyfloAI becomes a working install,
 * spec changes roll out, drift is repaired, an invalid spec is refused without touching anything, and deleting the
 * SkyfloAI removes what it owned. Every check reads the cluster through the real kubectl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operator } from '../src/index.ts';
import { condition, eventually, startOperatorHarness, type OperatorHarness } from './support/operator-harness.ts';

let harness: OperatorHarness;
let operator: Operator;

async function ready(name: string, namespace = 'default'): Promise<any> {
  let last: any;
  try {
    return await eventually(async () => {
      last = await harness.tryGet('skyfloai', name, namespace);
      return condition(last, 'Ready')?.status === 'True' && last.status.observedGeneration === last.metadata.generation ? last : undefined;
    });
  } catch {
    throw new Error(`SkyfloAI ${namespace}/${name} did not become Ready: generation ${last?.metadata?.generation}, status ${JSON.stringify(last?.status)}`);
  }
}

/** `kubectl auth can-i` as the MCP server's ServiceAccount: "yes" or "no" (it exits 1 on no). */
async function canI(serviceAccount: string, ...args: string[]): Promise<string> {
  const output = await harness.kubectl(['auth', 'can-i', ...args, '--as', `system:serviceaccount:${serviceAccount}`]).catch((error: Error) => error.message);
  return /\byes\b/.test(output) ? 'yes' : /\bno\b/.test(output) ? 'no' : output;
}

async function events(name: string, namespace = 'default'): Promise<Array<{ type: string; reason: string; message: string }>> {
  const list = await harness.getJson(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name}`]);
  return list.items;
}

beforeAll(async () => {
  harness = await startOperatorHarness();
  operator = await harness.startInProcess();
  await harness.kubectl(['create', 'namespace', 'team-a']);
  await harness.kubectl(['create', 'secret', 'generic', 'pg', '-n', 'team-a', '--from-literal=url=postgres://skyflo@db:5432/skyflo']);
  await harness.kubectl(['create', 'secret', 'generic', 'redis', '-n', 'team-a', '--from-literal=url=redis://redis:6379']);
  await harness.kubectl(['create', 'secret', 'generic', 'llm', '-n', 'team-a', '--from-literal=api-key=sk-test']);
});

afterAll(async () => {
  await harness?.close();
});

describe('a SkyfloAI with an empty spec', () => {
  it('gets every managed object, owned by it, and becomes Ready', async () => {
    await harness.apply('apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: default}\nspec: {}\n');
    const sky = await ready('sky');
    const uid = sky.metadata.uid;
    const ownedBy = (object: any) => object.metadata.ownerReferences?.some((owner: any) => owner.uid === uid && owner.kind === 'SkyfloAI' && owner.controller === true);

    for (const [kind, name] of [['deployment', 'sky-engine'], ['deployment', 'sky-mcp'], ['service', 'sky-engine'], ['service', 'sky-mcp'], ['serviceaccount', 'sky-engine'], ['serviceaccount', 'sky-mcp'], ['networkpolicy', 'sky-mcp']]) {
      const object = await harness.tryGet(kind, name);
      expect(object, `${kind}/${name}`).toBeDefined();
      expect(ownedBy(object), `${kind}/${name} is owned by the SkyfloAI`).toBe(true);
    }
    // the data volume outlives the SkyfloAI on purpose (no owner reference)
    const claim = await harness.tryGet('pvc', 'sky-data');
    expect(claim.spec.resources.requests.storage).toBe('1Gi');
    expect(claim.metadata.ownerReferences ?? []).toEqual([]);

    const engine = await harness.tryGet('deployment', 'sky-engine');
    expect(engine.spec.replicas).toBe(1);
    expect(engine.spec.strategy.type).toBe('Recreate');
    expect(engine.spec.template.spec.volumes.find((volume: any) => volume.name === 'data').persistentVolumeClaim.claimName).toBe('sky-data');
    const container = engine.spec.template.spec.containers[0];
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(container.env).toContainEqual({ name: 'MCP_SERVER_URL', value: 'http://sky-mcp.default.svc:8888/mcp' });
    expect(container.env).toContainEqual({ name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: 'sky-secrets', key: 'jwt-secret' } } });

    const secret = await harness.tryGet('secret', 'sky-secrets');
    expect(Object.keys(secret.data).sort()).toEqual(['audit-signing-key', 'encryption-key', 'jwt-secret', 'mcp-token']);
    // every engine replica signs audit records with this one key (an Ed25519 PKCS#8 key, as the engine parses it)
    expect(Buffer.from(secret.data['audit-signing-key'], 'base64').toString()).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(container.env).toContainEqual({ name: 'SKYFLO_AUDIT_SIGNING_KEY', valueFrom: { secretKeyRef: { name: 'sky-secrets', key: 'audit-signing-key', optional: true } } });
    // the keys live as long as the data they protect, not as long as the SkyfloAI (operator-kept-keys.test.ts)
    expect(secret.metadata.ownerReferences ?? []).toEqual([]);
    expect(Buffer.from(secret.data['jwt-secret'], 'base64').length).toBeGreaterThanOrEqual(32);

    const policy = await harness.tryGet('networkpolicy', 'sky-mcp');
    expect(policy.spec.podSelector.matchLabels['app.kubernetes.io/component']).toBe('mcp');
    expect(policy.spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('engine');

    // a first install is read-only (operator-access-profiles.test.ts covers the other profiles)
    const role = await harness.getJson(['get', 'clusterrole', 'skyflo:default:sky:mcp']);
    expect(role.metadata.labels['skyflo.ai/rbac-profile']).toBe('read-only');
    const verbs = role.rules.flatMap((rule: any) => rule.verbs);
    expect(verbs).not.toContain('*');
    expect(verbs).not.toContain('escalate');
    expect(verbs).not.toContain('impersonate');
    const binding = await harness.getJson(['get', 'clusterrolebinding', 'skyflo:default:sky:mcp']);
    expect(binding.roleRef.name).toBe('skyflo:default:sky:mcp');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'sky-mcp', namespace: 'default' }]);
    // the MCP ServiceAccount may read workloads, but not change them, read Secrets, exec, or grant itself more
    expect(await canI('default:sky-mcp', 'list', 'deployments', '-A')).toBe('yes');
    expect(await canI('default:sky-mcp', 'patch', 'deployments/scale')).toBe('no');
    expect(await canI('default:sky-mcp', 'get', 'secrets')).toBe('no');
    expect(await canI('default:sky-mcp', 'create', 'pods/exec')).toBe('no');
    expect(await canI('default:sky-mcp', 'create', 'clusterrolebindings')).toBe('no');
    expect(await canI('default:sky-mcp', 'impersonate', 'users')).toBe('no');

    expect(sky.status.engine).toEqual({ phase: 'Running', readyReplicas: 1, desiredReplicas: 1 });
    expect(sky.status.mcp).toEqual({ phase: 'Running', readyReplicas: 1, desiredReplicas: 1 });
    expect(condition(sky, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(condition(sky, 'Progressing')).toMatchObject({ status: 'False', reason: 'Reconciled' });
    expect((await events('sky')).map((event) => event.reason)).toEqual(expect.arrayContaining(['Created', 'Ready']));
    // kubectl's printer columns come from the CRD
    expect(await harness.kubectl(['get', 'sky', 'sky'])).toMatch(/^sky\s+Ready\s+True\s+Running\s+Running\s+embedded\s/m);
  });

  it('repairs drift: a deleted Service comes back and an edited Deployment is put back', async () => {
    const before = await harness.tryGet('service', 'sky-mcp');
    await harness.kubectl(['delete', 'service', 'sky-mcp']);
    const recreated = await eventually(async () => {
      const service = await harness.tryGet('service', 'sky-mcp');
      return service && service.metadata.uid !== before.metadata.uid ? service : undefined;
    }, { what: 'the Service to be recreated' });
    expect(recreated.spec.ports[0].port).toBe(8888);

    await harness.kubectl(['scale', 'deployment', 'sky-mcp', '--replicas=4']);
    await harness.kubectl(['set', 'image', 'deployment/sky-mcp', 'mcp=evil/image:1']);
    await eventually(async () => {
      const deployment = await harness.tryGet('deployment', 'sky-mcp');
      return deployment.spec.replicas === 1 && deployment.spec.template.spec.containers[0].image === 'ghcr.io/skyflo-ai/skyflo:0.1.0';
    }, { what: 'the Deployment to be put back' });
  });

  it('is idempotent: with nothing changed, a reconcile writes nothing', async () => {
    await operator.queue.idle();
    const engine = await harness.tryGet('deployment', 'sky-engine');
    operator.queue.add('default/sky');
    await operator.queue.idle();
    const again = await harness.tryGet('deployment', 'sky-engine');
    expect(again.metadata.resourceVersion).toBe(engine.metadata.resourceVersion);
  });

  it("keeps the executor's status.emergencyStop (issue 76: the stop engaged in Skyflo, for kubectl get sky) as it writes the rest of the status", async () => {
    const stop = { by: 'zoe@example.com', since: '2026-11-30T02:00:00.000Z', reason: 'INC-9', summary: 'by zoe@example.com since 2026-11-30T02:00:00.000Z: INC-9' };
    await harness.kubectl(['patch', 'skyfloai', 'sky', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { emergencyStop: stop, phase: 'Progressing' } })]);
    // the operator puts its own fields back (the phase), and leaves the executor's as it was
    await eventually(async () => ((await harness.tryGet('skyfloai', 'sky')).status.phase === 'Ready' ? true : undefined), { what: 'the operator to write its status again' });
    expect((await harness.tryGet('skyfloai', 'sky')).status.emergencyStop).toEqual(stop);
    expect(await harness.kubectl(['get', 'sky', 'sky'])).toContain(stop.summary);
  });
});

describe('spec changes', () => {
  it('scales out on Postgres and Redis, changes the image, then switches back to embedded storage', async () => {
    await harness.apply('apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: ops, namespace: team-a}\nspec:\n  llm: {model: anthropic/claude-sonnet-4, apiKeySecretRef: {name: llm}}\n');
    await ready('ops', 'team-a');
    await harness.kubectl(['patch', 'sky', 'ops', '-n', 'team-a', '--type=merge', '-p', JSON.stringify({ spec: { engine: { replicas: 3 }, mcp: { replicas: 2 }, storage: { type: 'postgres', postgres: { urlSecretRef: { name: 'pg' } } }, redis: { urlSecretRef: { name: 'redis' } } } })]);
    const scaled = await ready('ops', 'team-a');
    expect(scaled.status.engine).toEqual({ phase: 'Running', readyReplicas: 3, desiredReplicas: 3 });
    expect(scaled.status.mcp).toEqual({ phase: 'Running', readyReplicas: 2, desiredReplicas: 2 });
    const engine = await harness.tryGet('deployment', 'ops-engine', 'team-a');
    expect(engine.spec.strategy.type).toBe('RollingUpdate');
    const env = engine.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'POSTGRES_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'pg', key: 'url' } } });
    expect(env).toContainEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'redis', key: 'url' } } });
    expect(env).toContainEqual({ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'llm', key: 'api-key' } } });
    expect(engine.spec.template.spec.volumes.find((volume: any) => volume.name === 'data')).toEqual({ name: 'data', emptyDir: {} });
    expect(await harness.tryGet('pdb', 'ops-engine', 'team-a')).toBeDefined();
    expect(await harness.tryGet('pdb', 'ops-mcp', 'team-a')).toBeDefined();
    const pods = await harness.getJson(['get', 'pods', '-n', 'team-a', '-l', 'app.kubernetes.io/component=engine']);
    expect(pods.items.filter((pod: any) => !pod.metadata.deletionTimestamp)).toHaveLength(3);

    await harness.kubectl(['patch', 'sky', 'ops', '-n', 'team-a', '--type=merge', '-p', JSON.stringify({ spec: { engine: { image: 'ghcr.io/skyflo-ai/skyflo:0.2.0' } } })]);
    await ready('ops', 'team-a');
    const upgraded = await harness.tryGet('deployment', 'ops-engine', 'team-a');
    expect(upgraded.spec.template.spec.containers[0].image).toBe('ghcr.io/skyflo-ai/skyflo:0.2.0');

    await harness.kubectl(['patch', 'sky', 'ops', '-n', 'team-a', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/engine/replicas', value: 1 }, { op: 'replace', path: '/spec/storage', value: { type: 'embedded' } }, { op: 'remove', path: '/spec/redis' }])]);
    const back = await ready('ops', 'team-a');
    expect(back.status.engine.desiredReplicas).toBe(1);
    const embedded = await harness.tryGet('deployment', 'ops-engine', 'team-a');
    expect(embedded.spec.strategy.type).toBe('Recreate');
    expect(embedded.spec.template.spec.volumes.find((volume: any) => volume.name === 'data').persistentVolumeClaim.claimName).toBe('ops-data');
    expect(await harness.tryGet('pvc', 'ops-data', 'team-a')).toBeDefined();
    expect(await harness.tryGet('pdb', 'ops-engine', 'team-a')).toBeUndefined();
    expect(await harness.tryGet('pdb', 'ops-mcp', 'team-a')).toBeDefined();
    expect((await events('ops', 'team-a')).some((event) => event.reason === 'Deleted' && event.message.includes('PodDisruptionBudget ops-engine'))).toBe(true);
  });

  it('refuses an invalid spec (2 engines on embedded storage) with a Degraded condition and an event, changing nothing', async () => {
    const before = await harness.tryGet('deployment', 'ops-engine', 'team-a');
    const invalid = ['patch', 'sky', 'ops', '-n', 'team-a', '--type=merge', '-p', JSON.stringify({ spec: { engine: { replicas: 2, image: 'ghcr.io/skyflo-ai/skyflo:0.3.0' } } })];
    // A cluster with CEL validation (Kubernetes >= 1.25) refuses it at the API with the CRD's own rules…
    const atTheApi = await harness.kubectl(invalid).then(() => 'accepted', (error: Error) => error.message);
    expect(atTheApi).toMatch(/engine\.replicas > 1 needs storage\.type=postgres/);
    // …one without it (the CRD's rules dropped, as an older API server ignores them) stores it, and the operator refuses it
    await harness.withoutCrdValidationRules(() => harness.kubectl(invalid));
    const refused = await eventually(async () => {
      const sky = await harness.tryGet('skyfloai', 'ops', 'team-a');
      return condition(sky, 'Degraded')?.status === 'True' && sky.status.observedGeneration === sky.metadata.generation ? sky : undefined;
    }, { what: 'the Degraded condition' });
    expect(refused.status.phase).toBe('Degraded');
    expect(condition(refused, 'Degraded').reason).toBe('InvalidSpec');
    expect(condition(refused, 'Degraded').message).toMatch(/spec\.storage\.type: engine\.replicas is 2 but storage is embedded/);
    expect(condition(refused, 'Degraded').message).toMatch(/spec\.redis/);
    expect(condition(refused, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    const warning = (await events('ops', 'team-a')).find((event) => event.type === 'Warning' && event.reason === 'InvalidSpec');
    expect(warning?.message).toMatch(/nothing was changed/);
    await operator.queue.idle();
    const after = await harness.tryGet('deployment', 'ops-engine', 'team-a');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.spec.template.spec.containers[0].image).toBe('ghcr.io/skyflo-ai/skyflo:0.2.0');

    await harness.kubectl(['patch', 'sky', 'ops', '-n', 'team-a', '--type=merge', '-p', JSON.stringify({ spec: { engine: { replicas: 1 } } })]);
    const fixed = await ready('ops', 'team-a');
    expect(condition(fixed, 'Degraded').status).toBe('False');
    expect((await harness.tryGet('deployment', 'ops-engine', 'team-a')).spec.template.spec.containers[0].image).toBe('ghcr.io/skyflo-ai/skyflo:0.3.0');
  });

  it('read-only mode gives the MCP server --read-only and a ClusterRole without write verbs', async () => {
    await harness.kubectl(['patch', 'sky', 'ops', '-n', 'team-a', '--type=merge', '-p', JSON.stringify({ spec: { readOnly: true } })]);
    await ready('ops', 'team-a');
    const mcp = await harness.tryGet('deployment', 'ops-mcp', 'team-a');
    expect(mcp.spec.template.spec.containers[0].args).toContain('--read-only');
    const role = await harness.getJson(['get', 'clusterrole', 'skyflo:team-a:ops:mcp']);
    expect(role.metadata.labels['skyflo.ai/rbac-profile']).toBe('read-only');
    // creating an access review (k8s_auth_can_i) only asks the API server a question
    const verbs = new Set(role.rules.filter((rule: any) => !rule.apiGroups.includes('authorization.k8s.io')).flatMap((rule: any) => rule.verbs));
    for (const verb of ['create', 'update', 'patch', 'delete']) expect(verbs.has(verb), verb).toBe(false);
    expect(await canI('team-a:ops-mcp', 'list', 'pods', '-n', 'default')).toBe('yes');
    expect(await canI('team-a:ops-mcp', 'delete', 'pods', '-n', 'default')).toBe('no');
  });
});

describe('deleting a SkyfloAI', () => {
  it('garbage-collects what it owned, cluster RBAC included, and keeps the data volume and its keys', async () => {
    await harness.kubectl(['delete', 'sky', 'sky', '--wait=false']);
    await eventually(async () => (await harness.tryGet('skyfloai', 'sky')) === undefined, { what: 'the SkyfloAI to go' });
    await eventually(async () => {
      const left = await Promise.all([
        harness.tryGet('deployment', 'sky-engine'),
        harness.tryGet('deployment', 'sky-mcp'),
        harness.tryGet('service', 'sky-engine'),
        harness.tryGet('networkpolicy', 'sky-mcp'),
        harness.tryGet('clusterrole', 'skyflo:default:sky:mcp'),
        harness.tryGet('clusterrolebinding', 'skyflo:default:sky:mcp'),
      ]);
      return left.every((object) => object === undefined);
    }, { what: 'the owned objects to be garbage-collected' });
    expect(await harness.tryGet('pvc', 'sky-data')).toBeDefined();
    expect(await harness.tryGet('secret', 'sky-secrets')).toBeDefined();
    // the other instance is untouched
    expect(await harness.tryGet('deployment', 'ops-engine', 'team-a')).toBeDefined();
  });
});
