/**
 * Issue 34: one tool call run with a per-approval credential. When a cluster enforces approvals, the MCP server's own
 * identity is read-only; the engine hands an approved call the bearer token the cluster's executor minted for exactly
 * that approval (`_meta[mcpMetaKeys.credential]`, trusted connections only, like impersonation).
 *
 * Why a temporary kubeconfig and not `--token`: argv is readable by every process of the machine (/proc/<pid>/cmdline),
 * a file in a private 0700 directory (0600) is not. It holds the call's cluster (server, CA) and the token only, and is
 * deleted when the call ends. API-client tools get a KubeConfig with the same token user.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { mcpMetaKeys, toolCallCredentialSchema, type ToolCallCredential } from '@skyflo/protocol';
import { withToolDeps, type ToolDeps } from '../deps/deps.ts';
import { ToolInputError } from '../contract/errors.ts';

const credentialMetaKey = mcpMetaKeys.credential;

/** Parses the request's `_meta` value; undefined when absent, an error message when malformed. Never echoes the token. */
export function readCredential(value: unknown): ToolCallCredential | undefined | string {
  if (value === undefined) return undefined;
  const parsed = toolCallCredentialSchema.safeParse(value);
  if (!parsed.success || Number.isNaN(Date.parse(parsed.data.expiresAt))) return `${credentialMetaKey} must be {"token", "expiresAt" (ISO 8601), "approval"}`;
  return parsed.data;
}

/** The credential's expiry has passed (a token the API server would refuse anyway: refused before anything runs). */
export function credentialExpired(credential: ToolCallCredential, now: Date = new Date()): boolean {
  return Date.parse(credential.expiresAt) <= now.getTime();
}

export interface CredentialCall {
  /** the call's deps for its default cluster, acting with the credential */
  deps: ToolDeps;
  /** deletes the temporary kubeconfig(s); call it when the call ends */
  dispose(): Promise<void>;
}

const sessionOf = new WeakMap<ToolDeps, (name: string | undefined) => ToolDeps>();

/** For depsForContext: the credentialed deps of cluster `name` when `deps` belong to a credentialed call. */
export function credentialedContext(deps: ToolDeps, name: string | undefined): ToolDeps | undefined {
  return sessionOf.get(deps)?.(name);
}

/**
 * Deps acting with `credential`: for each cluster the call reaches (its `context`, else the current one) a KubeConfig
 * with that cluster and a token user, written to a 0600 file in a private directory for kubectl/helm.
 * `baseFor(name)` gives the uncredentialed deps of that cluster (depsForContext), whose server and CA are reused.
 */
export async function startCredentialCall(deps: ToolDeps, credential: ToolCallCredential, baseFor: (deps: ToolDeps, name: string | undefined) => ToolDeps): Promise<CredentialCall> {
  // mkdtemp creates the directory 0700 (owner only)
  const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-credential-'));
  const byCluster = new Map<string, ToolDeps>();
  let count = 0;
  let disposed = false;
  const derive = (name: string | undefined): ToolDeps => {
    const key = name ?? '\u0000current';
    const known = byCluster.get(key);
    if (known) return known;
    if (disposed) throw new ToolInputError('The call\'s credential was already released.', { code: 'FORBIDDEN' });
    const base = baseFor(deps, name);
    const source = base.kubeConfig;
    const contextName = source.currentContext;
    const cluster = source.getCurrentCluster();
    if (!cluster) throw new ToolInputError(`The cluster "${name ?? contextName}" has no API server in the kubeconfig, so the approval's credential cannot be used.`, { code: 'NOT_FOUND' });
    const context = source.getContextObject(contextName);
    // The class of the loaded config, not an import (see impersonation.ts: loading client-node costs ~0.5 s at start).
    const KubeConfigClass = source.constructor as new () => KubeConfig;
    const kubeConfig = new KubeConfigClass();
    const userName = `skyflo-approval-${credential.approval}`;
    kubeConfig.loadFromOptions({
      clusters: [cluster],
      users: [{ name: userName, token: credential.token }],
      contexts: [{ name: contextName, cluster: cluster.name, user: userName, ...(context?.namespace ? { namespace: context.namespace } : {}) }],
      currentContext: contextName,
    });
    const file = path.join(directory, `kubeconfig-${count++}.json`);
    // Written synchronously before use: derive is called from depsForContext, which is synchronous.
    writeFileSync(file, kubeConfig.exportConfig(), { mode: 0o600, flag: 'wx' });
    const { impersonation: _impersonation, kubeconfigPath: _path, kubeContext: _context, kubeServer: _server, ...settings } = base.settings;
    const derived = withToolDeps(base, {
      kubeConfig,
      settings: { ...settings, kubeconfigPath: file, kubeContext: contextName, kubeServer: cluster.server },
    });
    sessionOf.set(derived, derive);
    byCluster.set(key, derived);
    return derived;
  };
  try {
    const callDeps = derive(undefined);
    return {
      deps: callDeps,
      async dispose() {
        disposed = true;
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

