/**
 * The reconcile function: observe → desired state → diff → apply → status, for one SkyfloAI. Idempotent: running
 * it again with nothing changed writes nothing. An invalid spec is refused before anything is written, so a bad
 * edit never leaves half of the objects on the new spec and half on the old.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { desiredState, generatedSecretKeys, keptSecret } from '../desired/desired-state.ts';
import { clusterOwnerLabels, instanceNames, managedBy, skyfloAiApiVersion, skyfloAiKind, type SkyfloAiObject } from '../desired/names.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import { isConflict, isForbidden, isNotFound, type KubeObject, type KubeRest } from '../kube/kube-rest.ts';
import { accessProfileOf, approvalEnforcementOf, parseSkyfloAiSpec } from '../spec/skyfloai-spec.ts';
import { executorNames } from '../desired/names.ts';
import { executorRbacProblem } from './executor-rbac-check.ts';
import { installMcpRbacProblem, type McpRbacMode } from './install-rbac.ts';
import { readPolicyAdmission, type PolicyAdmissionState } from './policy-admission.ts';
import { admissionApiVersion, policyKinds } from '../desired/policy-admission.ts';
import { ensureExecutorSecrets } from './executor-tls.ts';
import { hasDrifted, mergeForReplace } from './compare.ts';
import { checkDataVolumeKey, ensureKeptSecret } from './kept-keys.ts';
import { missingSecretKeys } from './referenced-secrets.ts';
import { annotateReferencedSecrets } from './secret-rollout.ts';
import { appliedStatus, approvalsEnforcedByEngine, componentStatus, degradedStatus, withTransitionTimes, type RunProblem, type SkyfloAiStatus } from './status.ts';

export interface ReconcileDeps {
  kube: KubeRest;
  events: EventRecorder;
  log: (message: string, fields?: Record<string, unknown>) => void;
  now?: () => Date;
  /** who makes the MCP server's RBAC (install-rbac.ts): this operator (default), or the install (the chart) */
  mcpRbac?: McpRbacMode;
}

export interface ReconcileResult {
  /** what was created, updated or deleted, as "Kind/name" */
  actions: string[];
  /** ask to run again after this long (a rollout still in progress), besides the watches */
  requeueAfterMs?: number;
}

const statusEquals = (a: SkyfloAiStatus | undefined, b: SkyfloAiStatus) => JSON.stringify(a) === JSON.stringify(b);

function freshSecret(): Record<string, string> {
  const value = () => randomBytes(32).toString('base64url');
  // Ed25519 in PKCS#8 PEM: what SKYFLO_AUDIT_SIGNING_KEY takes (the engine signs each audit record with it)
  const auditKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { [generatedSecretKeys.jwt]: value(), [generatedSecretKeys.encryption]: value(), [generatedSecretKeys.mcpToken]: value(), [generatedSecretKeys.auditSigning]: auditKey };
}

const ref = (object: KubeObject) => ({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace });

async function writeStatus(deps: ReconcileDeps, owner: SkyfloAiObject, next: SkyfloAiStatus): Promise<void> {
  const previous = owner.status as SkyfloAiStatus | undefined;
  // the executor's field (the stop engaged in Skyflo) is not the operator's to compute: kept as the executor wrote it
  const carried = previous?.emergencyStop ? { ...next, emergencyStop: previous.emergencyStop } : next;
  const status = withTransitionTimes(carried, previous, (deps.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  if (statusEquals(previous, status)) return;
  await deps.kube.replaceStatus({ ...owner, status });
}

/**
 * What has no namespaced owner and is found by the owner labels: the MCP server's RBAC, the approvals webhook and the
 * SkyfloPolicies' ValidatingAdmissionPolicies with their bindings (issue 76).
 */
const rbacKinds = ['ClusterRoleBinding', 'ClusterRole', 'RoleBinding', 'Role', 'ValidatingWebhookConfiguration', ...policyKinds];
const apiVersionOf = (kind: string) => (kind === 'ValidatingWebhookConfiguration' || (policyKinds as readonly string[]).includes(kind) ? admissionApiVersion : 'rbac.authorization.k8s.io/v1');

/** The kind's objects with these labels; none when the API server does not serve it (ValidatingAdmissionPolicy before 1.30) or hides it from this operator. */
async function listOwned(deps: ReconcileDeps, kind: string, selector: string): Promise<KubeObject[]> {
  try {
    return await deps.kube.list({ apiVersion: apiVersionOf(kind), kind }, selector);
  } catch (error) {
    if ((policyKinds as readonly string[]).includes(kind) && (isNotFound(error) || isForbidden(error))) return [];
    throw error;
  }
}
const rbacKey = (object: { kind: string; metadata: { name: string; namespace?: string } }) => `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;

/**
 * The MCP server's RBAC cannot have a namespaced owner (a ClusterRole is cluster-scoped; the namespaced profile's Roles
 * live in other namespaces), so the garbage collector never removes it: it is found by its owner labels and deleted
 * here, all of it when the SkyfloAI is gone (the informer's delete event queues this reconcile; the resync catches one
 * missed while the operator was down), and what the spec no longer asks for otherwise (a namespace dropped from the
 * list, the ClusterRole after a switch to `namespaced`).
 * Why no finalizer instead: `helm uninstall` removes the operator together with the SkyfloAI, and a finalizer
 * nobody is left to remove would leave the resource stuck in Terminating.
 */
async function removeRbac(deps: ReconcileDeps, key: { namespace: string; name: string }, keep: Set<string> = new Set(), left: string[] = []): Promise<string[]> {
  const labels = clusterOwnerLabels({ metadata: key } as SkyfloAiObject);
  const selector = `app.kubernetes.io/managed-by=${managedBy},${Object.entries(labels).map(([label, value]) => `${label}=${value}`).join(',')}`;
  const removed: string[] = [];
  for (const kind of rbacKinds) {
    for (const object of await listOwned(deps, kind, selector)) {
      if (keep.has(rbacKey(object))) continue;
      const named = `${kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
      try {
        await deps.kube.delete(ref(object));
      } catch (error) {
        // An install that gives this operator no delete on it (--mcp-rbac=install allows only its own older names):
        // said in the status rather than failing every reconcile.
        if (!isForbidden(error)) throw error;
        left.push(named);
        continue;
      }
      removed.push(named);
    }
  }
  if (removed.length > 0) deps.log(keep.size === 0 ? 'removed the RBAC of a deleted SkyfloAI' : 'removed RBAC the spec no longer asks for', { namespace: key.namespace, name: key.name, removed });
  return removed;
}

/** A binding's roleRef cannot be changed in place: a binding to another role is deleted and created again. */
const roleRefChanged = (desired: KubeObject, actual: KubeObject) => {
  if (!desired.kind.endsWith('RoleBinding')) return false;
  const [want, have] = [desired, actual].map((object) => (object as { roleRef?: { kind?: string; name?: string } }).roleRef);
  return want?.kind !== have?.kind || want?.name !== have?.name;
};

/** Creates, replaces or leaves one desired object; returns what is in the cluster now and what was done. */
async function applyObject(deps: ReconcileDeps, owner: SkyfloAiObject, object: KubeObject, mode: 'sync' | 'create-only'): Promise<{ current: KubeObject | undefined; actions: string[] }> {
  const actual = await deps.kube.get(ref(object));
  if (!actual) {
    const current = await deps.kube.create(object);
    await deps.events.record(owner, 'Normal', 'Created', `Created ${object.kind} ${object.metadata.name}`);
    return { current, actions: [`created ${object.kind}/${object.metadata.name}`] };
  }
  if (mode === 'sync' && roleRefChanged(object, actual)) {
    await deps.kube.delete(ref(object));
    const current = await deps.kube.create(object);
    await deps.events.record(owner, 'Normal', 'Updated', `Replaced ${object.kind} ${object.metadata.name}: it now binds ${(object as { roleRef?: { name?: string } }).roleRef?.name}`);
    return { current, actions: [`updated ${object.kind}/${object.metadata.name}`] };
  }
  if (mode === 'sync' && hasDrifted(object, actual)) {
    const current = await deps.kube.replace(mergeForReplace(object, actual));
    await deps.events.record(owner, 'Normal', 'Updated', `Updated ${object.kind} ${object.metadata.name} to match the spec`);
    return { current, actions: [`updated ${object.kind}/${object.metadata.name}`] };
  }
  return { current: actual, actions: [] };
}

export async function reconcileSkyfloAi(deps: ReconcileDeps, key: { namespace: string; name: string }): Promise<ReconcileResult> {
  // observe
  const owner = await deps.kube.get<SkyfloAiObject>({ apiVersion: skyfloAiApiVersion, kind: skyfloAiKind, ...key });
  if (!owner || owner.metadata.deletionTimestamp) {
    // Namespaced objects carry owner references and go with the garbage collector; cluster RBAC is found by labels.
    const removed = await removeRbac(deps, key);
    return { actions: removed.map((name) => `deleted ${name}`) };
  }
  const generation = owner.metadata.generation;
  const previousStatus = owner.status as SkyfloAiStatus | undefined;

  const { spec, problems } = parseSkyfloAiSpec(owner.spec);
  if (!spec || problems.length > 0) {
    const message = `invalid spec, nothing was changed: ${problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}`;
    const alreadyReported = previousStatus?.observedGeneration === generation && previousStatus?.conditions?.some((condition) => condition.type === 'Degraded' && condition.reason === 'InvalidSpec');
    if (!alreadyReported) await deps.events.record(owner, 'Warning', 'InvalidSpec', message);
    await writeStatus(deps, owner, degradedStatus(generation, 'InvalidSpec', message, previousStatus));
    return { actions: [] };
  }

  const actions: string[] = [];
  const deployments: Record<string, KubeObject | undefined> = {};
  const names = instanceNames(owner);
  let claim: KubeObject | undefined;
  let problem: RunProblem | undefined;
  let policyAdmission: PolicyAdmissionState | undefined;
  try {
    // The generated keys first: the data volume created below records which encryption key its database belongs to.
    const kept = await ensureKeptSecret(deps.kube, owner, keptSecret(owner, freshSecret));
    for (const action of kept.actions) {
      actions.push(action);
      await deps.events.record(owner, 'Normal', action.startsWith('created') ? 'Created' : 'Kept', action);
    }
    // The executor's keys and certificate (kept like the generated Secret): the webhook's caBundle is the CA made here.
    const enforcement = approvalEnforcementOf(spec);
    let executorCa: string | undefined;
    if (enforcement === 'cluster') {
      const executorSecrets = await ensureExecutorSecrets(deps.kube, owner);
      executorCa = executorSecrets.caPem;
      for (const action of executorSecrets.actions) {
        actions.push(action);
        await deps.events.record(owner, 'Normal', 'Created', action);
      }
    }
    // desired state (with --mcp-rbac=install the MCP server's RBAC is the install's: checked below, never written)
    const installMakesRbac = deps.mcpRbac === 'install';
    const desired = desiredState(owner, spec, freshSecret, kept.fingerprint, executorCa);
    if (installMakesRbac) desired.objects = desired.objects.filter(({ object }) => !['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(object.kind));
    // issue 76: the SkyfloPolicies the API server can judge, bound to the per-approval identities the executor mints
    if (enforcement === 'cluster') {
      policyAdmission = await readPolicyAdmission(deps.kube, owner, spec);
      desired.objects.push(...(policyAdmission.plan?.objects ?? []).map((object) => ({ object, mode: 'sync' as const })));
    }
    await annotateReferencedSecrets(deps.kube, owner, spec, desired);
    // diff → apply. What the install does not let this operator write (a spec edited beyond what the chart was
    // installed for, e.g. a profile that needs the executor's webhook) is said in the status, not retried for ever.
    const notPermitted: string[] = [];
    for (const { object, mode } of desired.objects) {
      const applied = await applyObject(deps, owner, object, mode).catch((error: unknown) => {
        if (!isForbidden(error)) throw error;
        notPermitted.push(`write ${object.kind} ${object.metadata.name}`);
        return undefined;
      });
      if (!applied) continue;
      actions.push(...applied.actions);
      if (object.kind === 'Deployment') deployments[object.metadata.name] = applied.current;
      if (object.kind === 'PersistentVolumeClaim') claim = applied.current;
    }
    // a policy the install does not let this operator write is not in the API server, whatever the plan said
    if (policyAdmission && notPermitted.some((entry) => policyKinds.some((kind) => entry.startsWith(`write ${kind} `)))) {
      policyAdmission.condition = { ...policyAdmission.condition, status: 'False', reason: 'NotPermitted', message: 'this install does not let the operator write ValidatingAdmissionPolicies: run helm upgrade (the chart grants it); SkyfloPolicies are judged by the executor alone meanwhile' };
    }
    const wanted = new Set(desired.objects.map(({ object }) => `${object.kind}/${object.metadata.name}`));
    for (const optional of desired.optional) {
      if (wanted.has(`${optional.kind}/${optional.name}`)) continue;
      const existing = await deps.kube.get(optional);
      if (existing?.metadata.labels?.['app.kubernetes.io/managed-by'] !== managedBy || existing.metadata.labels?.['app.kubernetes.io/instance'] !== owner.metadata.name) continue;
      await deps.kube.delete(optional);
      actions.push(`deleted ${optional.kind}/${optional.name}`);
      await deps.events.record(owner, 'Normal', 'Deleted', `Deleted ${optional.kind} ${optional.name}: the spec no longer asks for it`);
    }
    const rbacWanted = new Set(desired.objects.filter(({ object }) => rbacKinds.includes(object.kind)).map(({ object }) => rbacKey(object)));
    const leftover: string[] = [];
    for (const removed of await removeRbac(deps, key, rbacWanted, leftover)) {
      actions.push(`deleted ${removed}`);
      const why = policyKinds.some((kind) => removed.startsWith(`${kind}/`)) ? 'its SkyfloPolicy is disabled or gone, or approvals are no longer enforced in the cluster' : 'the access profile no longer asks for it';
      await deps.events.record(owner, 'Normal', 'Deleted', `Deleted ${removed.replace('/', ' ')}: ${why}`);
    }
    // What keeps the applied pods from starting, said in the status rather than left to look like a slow rollout.
    const missing = await missingSecretKeys(deps.kube, owner, spec);
    const keyMismatch = await checkDataVolumeKey(deps.kube, owner, claim, kept.fingerprint);
    const executorRbac = enforcement === 'cluster' ? await executorRbacProblem(deps.kube, owner, accessProfileOf(spec)) : undefined;
    const mcpRbacWrong = installMakesRbac ? await installMcpRbacProblem(deps.kube, owner, spec) : undefined;
    // the first that applies (the pods cannot start, or would start without what they need, until it is fixed)
    const problems: Array<RunProblem | undefined> = [
      missing.length > 0 ? { reason: 'SecretMissing', message: missing.join('; ') } : undefined,
      keyMismatch ? { reason: 'EncryptionKeyMismatch', message: keyMismatch } : undefined,
      executorRbac ? { reason: 'ExecutorRbacMissing', message: executorRbac } : undefined,
      mcpRbacWrong ? { reason: 'McpRbacMissing', message: mcpRbacWrong } : undefined,
      notPermitted.length > 0
        ? { reason: 'NotPermitted', message: `this install does not let the operator ${notPermitted.join(', ')}, which the spec needs: run helm upgrade with the values this spec was written from (the chart grants what its values need)` }
        : undefined,
      leftover.length > 0
        ? { reason: 'RbacLeftover', message: `RBAC an older operator made is still there and this operator may not delete it (${leftover.join(', ')}); it may grant the MCP server more than its profile: delete it with kubectl` }
        : undefined,
    ];
    problem = problems.find((candidate) => candidate !== undefined);
  } catch (error) {
    if (isConflict(error)) throw error; // someone wrote in between: retry with a fresh read
    const message = `applying the spec failed: ${error instanceof Error ? error.message : String(error)}`;
    await deps.events.record(owner, 'Warning', 'ApplyFailed', message);
    await writeStatus(deps, owner, degradedStatus(generation, 'ApplyFailed', message, previousStatus));
    throw error;
  }

  // status
  const status = appliedStatus(
    generation,
    spec.storage.type,
    {
      engine: componentStatus(deployments[names.engine], spec.engine.replicas),
      mcp: componentStatus(deployments[names.mcp], spec.mcp.replicas),
      ...(approvalEnforcementOf(spec) === 'cluster' ? { executor: componentStatus(deployments[executorNames(owner).executor], 1) } : {}),
    },
    problem,
    approvalEnforcementOf(spec),
  );
  if (policyAdmission) {
    status.conditions.push(policyAdmission.condition);
    const before = previousStatus?.conditions?.find((entry) => entry.type === policyAdmission!.condition.type);
    if (before?.message !== policyAdmission.condition.message) deps.log('SkyfloPolicies in the API server', { namespace: key.namespace, name: key.name, status: policyAdmission.condition.status, reason: policyAdmission.condition.reason, message: policyAdmission.condition.message });
  }
  // `engine` enforcement: said once per spec change as a Warning (kubectl describe sky), and kept as a condition
  const warned = previousStatus?.observedGeneration === generation && previousStatus?.conditions?.some((entry) => entry.type === 'ApprovalsEnforced' && entry.reason === approvalsEnforcedByEngine.reason);
  if (approvalEnforcementOf(spec) === 'engine' && !warned) await deps.events.record(owner, 'Warning', approvalsEnforcedByEngine.reason, approvalsEnforcedByEngine.message);
  if (problem) {
    const reported = previousStatus?.conditions?.find((condition) => condition.type === 'Degraded');
    if (reported?.reason !== problem.reason || reported.message !== problem.message) await deps.events.record(owner, 'Warning', problem.reason, problem.message);
  }
  if (status.phase === 'Ready' && previousStatus?.phase !== 'Ready') await deps.events.record(owner, 'Normal', 'Ready', 'Every component runs the current spec');
  await writeStatus(deps, owner, status);
  if (actions.length > 0) deps.log('reconciled', { namespace: key.namespace, name: key.name, actions });
  return { actions, ...(status.phase === 'Ready' ? {} : { requeueAfterMs: 5_000 }) };
}
