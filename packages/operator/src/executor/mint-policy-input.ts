/**
 * Issue 76: the policy input (docs/policies.md) of one mint, built only from what the executor itself knows — never
 * from the engine's word about the call. The tool and arguments are the signed approval's (their hash was checked);
 * the cluster is the one this executor guards; the namespaces and objects are those of the grant the executor
 * computed, `after` being its own server-side dry-run of the write (recorded while the grant was computed) and
 * `before` a live read with its own identity; the risks are the pure rules of @skyflo/safety over the arguments; the
 * requester is the signed approval's; `now` is the executor's clock.
 *
 * What the executor cannot know, it leaves empty: `requester.role` is "" and `requester.groups` [] (the signed
 * approval carries the requester's email only), and `cluster.labels` are the executor's own setting (none unless
 * configured). The risks lack what only the MCP server's cluster reads add (MANAGED_BY_CONTROLLER).
 */
import type { ApprovedAccess, KubeObject, SkyfloApprovalDocument } from '@skyflo/protocol';
import { assessToolCallRisks } from '@skyflo/safety';
import { policyInput, type PolicyInputName, type PolicyObject } from '@skyflo/safety/policies';
import type { OwnKube } from './grant/own-kube.ts';

/** An OwnKube whose dry-runs are remembered by path (without the query): the content the grant was computed from. */
export interface RecordingKube {
  kube: OwnKube;
  dryRuns: ReadonlyMap<string, KubeObject>;
}

export function recordDryRuns(kube: OwnKube): RecordingKube {
  const dryRuns = new Map<string, KubeObject>();
  return {
    dryRuns,
    kube: {
      ...kube,
      async dryRun(method, path, body, options) {
        const result = await kube.dryRun(method, path, body, options);
        dryRuns.set(path.split('?')[0]!, result);
        return result;
      },
    },
  };
}

export interface MintFacts {
  document: SkyfloApprovalDocument;
  /** the call's exact arguments (they hash to the signed argsHash) */
  args: Record<string, unknown>;
  access: readonly ApprovedAccess[];
  dryRuns: ReadonlyMap<string, KubeObject>;
  /** the cluster this executor guards */
  clusterName: string;
  clusterLabels?: Readonly<Record<string, string>> | undefined;
  now: Date;
}

const record = (value: unknown): Record<string, unknown> | null => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null);

/** A Secret's values never reach an expression (the engine's previews show policies no Secret data either). */
function withoutSecretData(object: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!object || object['kind'] !== 'Secret') return object;
  const { data: _data, stringData: _stringData, ...rest } = object;
  return rest;
}

/**
 * Every object the grant writes as {before, after}. A Helm release's storage Secrets are Helm's bookkeeping, not
 * objects of the change, and are left out (as the engine's preview leaves them out).
 */
export async function mintObjects(facts: Pick<MintFacts, 'access' | 'dryRuns'>, kube: Pick<OwnKube, 'resolve' | 'get' | 'path'>): Promise<PolicyObject[]> {
  const objects: PolicyObject[] = [];
  for (const entry of facts.access) {
    if (entry.helmRelease) continue;
    const info = await kube.resolve(entry.apiGroup ? `${entry.resource}.${entry.apiGroup}` : entry.resource);
    const path = kube.path(info, { namespace: entry.namespace, name: entry.name });
    const before = record((await kube.get(path)) ?? null);
    let after: Record<string, unknown> | null;
    // a delete, and an eviction (a drain's): the object is gone after the call
    if (entry.verbs.every((verb) => verb === 'delete') || entry.subresource === 'eviction') after = null;
    else if (entry.subresource) {
      const written = record(facts.dryRuns.get(kube.path(info, { namespace: entry.namespace, name: entry.name, subresource: entry.subresource })));
      // a scale writes an autoscaling/v1 Scale: the object after it is the live one with the new replica count
      if (entry.subresource === 'scale' && before) after = { ...before, spec: { ...record(before['spec']), replicas: record(written?.['spec'])?.['replicas'] } };
      else after = written && written['kind'] === before?.['kind'] ? written : before;
    } else {
      // no dry-run (a restart's timestamp, known only when it runs): the object as it is, which is what it keeps
      after = record(facts.dryRuns.get(path)) ?? before;
    }
    objects.push({ before: withoutSecretData(before), after: withoutSecretData(after) });
  }
  return objects;
}

/** The namespaces the grant writes (what a freeze's scope and `namespaces` see), the call's own (its `namespace` argument) first. */
export function mintNamespaces(args: Record<string, unknown>, access: readonly ApprovedAccess[]): string[] {
  const written = [...new Set(access.flatMap((entry) => (entry.namespace ? [entry.namespace] : [])))];
  const own = args['namespace'];
  return typeof own === 'string' && written.includes(own) ? [own, ...written.filter((namespace) => namespace !== own)] : written;
}

export function mintPolicyInput(facts: MintFacts, objects: PolicyObject[]): Record<PolicyInputName, unknown> {
  const tool = facts.document.spec.tool;
  return policyInput(
    {
      tool,
      args: facts.args,
      cluster: { name: facts.clusterName },
      namespaces: mintNamespaces(facts.args, facts.access),
      objects,
      risks: assessToolCallRisks(tool, facts.args),
      requester: { email: facts.document.spec.requestedBy?.email ?? '', role: '', groups: [] },
      now: facts.now,
    },
    { [facts.clusterName]: { ...facts.clusterLabels } },
  );
}
