/**
 * The per-approval credential: ServiceAccount `skyflo-approval-<name>` in the install's namespace, a Role and
 * RoleBinding of the same name in each namespace of `spec.access` (a ClusterRole/ClusterRoleBinding for
 * cluster-scoped objects) granting exactly the approved verbs on exactly the approved objects, and a token from the
 * TokenRequest API. Released (everything deleted, so the token stops authenticating) when the call ends, at the
 * approval's expiry, or by the sweep after a crash.
 */
import {
  approvalCredentialMaxSeconds,
  approvalServiceAccountPrefix,
  type ApprovalCredential,
  type ApprovedAccess,
  type KubeObject,
  type SkyfloApprovalDocument,
} from '@skyflo/protocol';
import { isNotFound, KubeRequestError, type KubeRest } from '../kube/kube-rest.ts';
import type { PolicyRule as ProfileRule } from '../rbac/tool-permissions.ts';
import {
  approvalLabel,
  clusterScopedAnnotation,
  ExecutorError,
  expiresAtAnnotation,
  managedByLabel,
  managedByValue,
  namespacesAnnotation,
  type ExecutorLogger,
} from './executor-options.ts';
import type { GrantRead } from './grant/grant-entry.ts';

/** An RBAC rule, narrowed to named objects where it can be. */
export type PolicyRule = ProfileRule & { resourceNames?: string[] };

export const approvalAccountName = (approval: string) => `${approvalServiceAccountPrefix}${approval}`;

export interface AccessRules {
  /** namespace → rules of its Role */
  namespaced: Map<string, PolicyRule[]>;
  /** rules of the ClusterRole (cluster-scoped objects); empty when none */
  cluster: PolicyRule[];
}

/** Helm keeps a release's state in Secrets named so; it finds them by listing with a label selector. */
const helmReleaseSecret = /^sh\.helm\.release\.v1\./;
/** a release's revision Secret: its release and revision number */
function helmRevisionOf(name: string): { release: string; number: number } | undefined {
  const match = /^sh\.helm\.release\.v1\.(.+)\.v(\d+)$/.exec(name);
  return match ? { release: match[1]!, number: Number(match[2]) } : undefined;
}
/** helm history's own cap (--max 256 in our tools); beyond it no name list is granted (helm then fails closed) */
const maxReadableRevisions = 1000;

/**
 * RBAC rules granting exactly `access`: each entry's verbs on `resource[/subresource]` limited to its name, plus the
 * reads of that same named object (get, and list/watch, which RBAC allows on a name only with a metadata.name field
 * selector — how kubectl waits for a delete). `create` of a new object cannot be limited by name in RBAC (the name is
 * in the body, not the URL), so it is granted on the resource and the admission webhook checks the name; `create` on
 * a subresource (pods/x/eviction) names the object in the URL and stays limited. One read RBAC cannot narrow: Helm
 * finds its release Secrets by listing Secrets with a label selector, so an approval that writes a release Secret also
 * gets `list` on Secrets in that namespace for its lifetime (documented; nothing else is widened).
 */
export function rulesForAccess(access: ApprovedAccess[], reads: GrantRead[] = []): AccessRules {
  const namespaced = new Map<string, PolicyRule[]>();
  const cluster: PolicyRule[] = [];
  // the call's own reads besides the objects it writes (grant/grant-entry.ts GrantRead): whole resources, never Secrets
  for (const read of reads) {
    if (read.apiGroup === '' && read.resources.includes('secrets')) continue;
    const target = read.namespace ? (namespaced.get(read.namespace) ?? namespaced.set(read.namespace, []).get(read.namespace)!) : cluster;
    target.push({ apiGroups: [read.apiGroup], resources: read.resources, verbs: read.verbs });
  }
  const releaseHistory = new Map<string, { namespace: string | undefined; release: string; upTo: number }>();
  for (const entry of access) {
    const target = entry.namespace ? (namespaced.get(entry.namespace) ?? namespaced.set(entry.namespace, []).get(entry.namespace)!) : cluster;
    const resource = entry.subresource ? `${entry.resource}/${entry.subresource}` : entry.resource;
    const apiGroups = [entry.apiGroup];
    const named = entry.verbs.filter((verb) => verb !== 'create' || entry.subresource);
    const reads = ['get', 'list', 'watch'];
    target.push({ apiGroups, resources: [resource], verbs: [...new Set([...(entry.subresource ? ['get'] : reads), ...named])], resourceNames: [entry.name] });
    if (entry.subresource) target.push({ apiGroups, resources: [entry.resource], verbs: reads, resourceNames: [entry.name] });
    if (entry.verbs.includes('create') && !entry.subresource) target.push({ apiGroups, resources: [resource], verbs: ['create'] });
    if (entry.apiGroup === '' && entry.resource === 'secrets' && !entry.subresource && helmReleaseSecret.test(entry.name)) {
      if (!target.some((rule) => rule.resources?.[0] === 'secrets' && !rule.resourceNames && rule.verbs.includes('list'))) target.push({ apiGroups: [''], resources: ['secrets'], verbs: ['list'] });
      const revision = helmRevisionOf(entry.name);
      if (revision) {
        const key = `${entry.namespace ?? ''}\u0000${revision.release}`;
        releaseHistory.set(key, { namespace: entry.namespace, release: revision.release, upTo: Math.max(releaseHistory.get(key)?.upTo ?? 0, revision.number) });
      }
    }
  }
  // A rollback reads the revision it restores (helm gets it by name), which is not one it writes: `get` on this
  // release's own revisions up to the one it creates (the `list` above already shows them; no other release's).
  for (const { namespace, release, upTo } of releaseHistory.values()) {
    if (!namespace || upTo > maxReadableRevisions) continue;
    const rules = namespaced.get(namespace)!;
    rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: Array.from({ length: upTo }, (_, index) => `sh.helm.release.v1.${release}.v${index + 1}`) });
  }
  return { namespaced, cluster };
}

export interface CredentialMinter {
  /** Creates the account, its roles for exactly `access` (what the executor computed, issue 73) and a token. */
  mint(document: SkyfloApprovalDocument, access: ApprovedAccess[], approvalExpiresAt: Date, reads?: GrantRead[]): Promise<ApprovalCredential>;
  /** Deletes the bindings, roles and account of an approval; absent is fine. */
  release(approval: string, access?: ApprovedAccess[]): Promise<void>;
  /** Releases every approval account whose expiry annotation has passed; returns their approval names. */
  sweep(): Promise<string[]>;
  close(): void;
}

const rbacBase = '/apis/rbac.authorization.k8s.io/v1';
const ns = (namespace: string) => encodeURIComponent(namespace);

export function createCredentialMinter(options: {
  kube: KubeRest;
  namespace: string;
  allowedNamespaces?: string[];
  now: () => Date;
  logger: ExecutorLogger;
  onExpiry?: (approval: string) => void;
}): CredentialMinter {
  const { kube, namespace, logger } = options;
  const accountsPath = `/api/v1/namespaces/${ns(namespace)}/serviceaccounts`;
  const timers = new Map<string, NodeJS.Timeout>();

  function labels(approval: string) {
    return { [managedByLabel]: managedByValue, [approvalLabel]: approval };
  }

  /** Creates `object` at `collection`, or replaces the one of the same name when it is ours (a retried mint). */
  async function createOrReplace(collection: string, object: KubeObject): Promise<void> {
    try {
      await kube.request('POST', collection, object);
    } catch (error) {
      if (!(error instanceof KubeRequestError && error.status === 409)) throw error;
      const path = `${collection}/${encodeURIComponent(object.metadata.name!)}`;
      const existing = await kube.request<KubeObject>('GET', path);
      if (existing.metadata.labels?.[managedByLabel] !== managedByValue) {
        throw new Error(`${object.kind} ${object.metadata.name} exists and was not created by the executor; not touching it`);
      }
      // A binding's roleRef cannot change; ours never does.
      await kube.request('PUT', path, { ...object, metadata: { ...object.metadata, resourceVersion: existing.metadata.resourceVersion } });
    }
  }

  function checkScope(document: SkyfloApprovalDocument, access: ApprovedAccess[], reads: GrantRead[]): void {
    const allowed = options.allowedNamespaces;
    if (!access.length) throw new ExecutorError('INVALID', `SkyfloApproval "${document.name}" writes no object; nothing to mint`);
    if (!allowed) return;
    const outside = [
      ...access.filter((entry) => !entry.namespace || !allowed.includes(entry.namespace)).map((entry) => `${entry.resource}${entry.subresource ? `/${entry.subresource}` : ''} ${entry.namespace ? `${entry.namespace}/` : '(cluster-scoped) '}${entry.name}`),
      ...reads.filter((read) => !read.namespace || !allowed.includes(read.namespace)).map((read) => `reads of ${read.resources.join(', ')} ${read.namespace ? `in ${read.namespace}` : 'cluster-wide'}`),
    ];
    if (outside.length) {
      const described = outside.join(', ');
      throw new ExecutorError(
        'NOT_APPROVED',
        `this executor may grant access only in namespace(s) ${allowed.join(', ')}; SkyfloApproval "${document.name}" writes ${described} outside them, so nothing is minted`,
      );
    }
  }

  async function release(approval: string, access?: ApprovedAccess[]): Promise<void> {
    const name = approvalAccountName(approval);
    const timer = timers.get(approval);
    if (timer) clearTimeout(timer);
    timers.delete(approval);
    let account: KubeObject | undefined;
    try {
      account = await kube.request<KubeObject>('GET', `${accountsPath}/${encodeURIComponent(name)}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const namespaces = new Set<string>((account?.metadata.annotations?.[namespacesAnnotation] ?? '').split(',').filter(Boolean));
    for (const entry of access ?? []) if (entry.namespace) namespaces.add(entry.namespace);
    const clusterScoped = account?.metadata.annotations?.[clusterScopedAnnotation] === 'true' || (access ?? []).some((entry) => !entry.namespace);
    const failures: string[] = [];
    // Every delete is tried: one that fails (403 where the executor holds no power, so it created nothing there
    // either) must not keep the account, whose deletion is what ends the token, alive.
    const remove = async (path: string) => {
      try {
        await kube.request('DELETE', path);
      } catch (error) {
        if (!isNotFound(error)) failures.push((error as Error).message);
      }
    };
    for (const namespaceName of namespaces) {
      await remove(`${rbacBase}/namespaces/${ns(namespaceName)}/rolebindings/${encodeURIComponent(name)}`);
      await remove(`${rbacBase}/namespaces/${ns(namespaceName)}/roles/${encodeURIComponent(name)}`);
    }
    if (clusterScoped) {
      await remove(`${rbacBase}/clusterrolebindings/${encodeURIComponent(name)}`);
      await remove(`${rbacBase}/clusterroles/${encodeURIComponent(name)}`);
    }
    // The account last: while it exists the sweep can still find what is left of the grant.
    await remove(`${accountsPath}/${encodeURIComponent(name)}`);
    if (failures.length) logger.warn({ approval, failures }, 'some of an approval\'s objects could not be deleted');
    if (failures.some((failure) => failure.includes(`serviceaccounts/${name}`))) throw new Error(`could not delete ServiceAccount ${name}: ${failures.join('; ')}`);
  }

  return {
    async mint(document, access, approvalExpiresAt, reads = []) {
      checkScope(document, access, reads);
      const approval = document.name;
      const name = approvalAccountName(approval);
      const now = options.now();
      // The TokenRequest API refuses less than 10 minutes, so the token itself lives 600 s; the account is deleted at
      // the approval's expiry if that comes first, and a deleted account's token no longer authenticates.
      const expiresAt = new Date(Math.min(approvalExpiresAt.getTime(), now.getTime() + approvalCredentialMaxSeconds * 1000));
      const rules = rulesForAccess(access, reads);
      const subject = [{ kind: 'ServiceAccount', name, namespace }];
      const metadata = (extra: Record<string, unknown> = {}) => ({ name, labels: labels(approval), annotations: { [expiresAtAnnotation]: expiresAt.toISOString() }, ...extra });
      try {
        await createOrReplace(accountsPath, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: {
            ...metadata({ namespace }),
            annotations: {
              [expiresAtAnnotation]: expiresAt.toISOString(),
              [namespacesAnnotation]: [...rules.namespaced.keys()].join(','),
              [clusterScopedAnnotation]: String(rules.cluster.length > 0),
            },
          },
          automountServiceAccountToken: false,
        } as KubeObject);
        for (const [namespaceName, namespaceRules] of rules.namespaced) {
          await createOrReplace(`${rbacBase}/namespaces/${ns(namespaceName)}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: metadata({ namespace: namespaceName }), rules: namespaceRules } as KubeObject);
          await createOrReplace(`${rbacBase}/namespaces/${ns(namespaceName)}/rolebindings`, {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: metadata({ namespace: namespaceName }),
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
            subjects: subject,
          } as KubeObject);
        }
        if (rules.cluster.length) {
          await createOrReplace(`${rbacBase}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: metadata(), rules: rules.cluster } as KubeObject);
          await createOrReplace(`${rbacBase}/clusterrolebindings`, {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: metadata(),
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
            subjects: subject,
          } as KubeObject);
        }
        const answer = await kube.request<{ status?: { token?: string } }>('POST', `${accountsPath}/${encodeURIComponent(name)}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: approvalCredentialMaxSeconds },
        });
        const token = answer.status?.token;
        if (!token) throw new Error('the TokenRequest answer carried no token');
        const timer = setTimeout(() => {
          timers.delete(approval);
          release(approval, access).then(
            () => logger.info({ approval }, 'approval expired: its account and roles were deleted'),
            (error) => logger.error({ approval, err: (error as Error).message }, 'could not delete an expired approval account (the sweep retries)'),
          );
        }, Math.max(0, expiresAt.getTime() - now.getTime()));
        timer.unref();
        timers.set(approval, timer);
        logger.info({ approval, account: name, namespaces: [...rules.namespaced.keys()], expiresAt: expiresAt.toISOString() }, 'minted a per-approval credential');
        return { token, expiresAt: expiresAt.toISOString(), username: `system:serviceaccount:${namespace}:${name}`, access };
      } catch (error) {
        await release(approval, access).catch(() => undefined);
        if (error instanceof ExecutorError) throw error;
        throw new ExecutorError('MINT_FAILED', `could not mint the credential of SkyfloApproval "${approval}": ${(error as Error).message}`);
      }
    },
    release,
    async sweep() {
      const list = await kube.request<{ items?: KubeObject[] }>('GET', `${accountsPath}?labelSelector=${encodeURIComponent(`${managedByLabel}=${managedByValue}`)}`);
      const swept: string[] = [];
      const now = options.now().getTime();
      for (const account of list.items ?? []) {
        const approval = account.metadata.labels?.[approvalLabel];
        const expiry = Date.parse(account.metadata.annotations?.[expiresAtAnnotation] ?? '');
        // No (or an unreadable) expiry is treated as expired: nothing the executor made lacks one.
        if (!approval || account.metadata.name !== approvalAccountName(approval) || expiry > now) continue;
        await release(approval);
        swept.push(approval);
      }
      if (swept.length) logger.info({ approvals: swept }, 'sweep removed approval accounts past their expiry');
      return swept;
    },
    close() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
