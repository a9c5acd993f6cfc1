/**
 * Helpers shared by the kubectl tools: namespaces, resource lookups, a guarded kubectl subprocess,
 * and the schema fragments every tool repeats (so descriptions stay consistent).
 */
import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeArgument, assertSafeName } from '../../exec/flag-guard.ts';
import { kubeClientsFor, type KubeClients } from '../../kube/kube-clients.ts';
import { kubeEnv, kubectlGlobalArgs } from '../../kube/impersonation.ts';
import { resourcePath, type ResourceInfo } from '../../kube/create-discovery.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import type { CommandResult } from '../../exec/command-runner.ts';

export const namespaceField = z.string().optional().describe('Namespace of the resource. Defaults to "default" (or the kubeconfig context namespace).');

export function clients(deps: ToolDeps): KubeClients {
  return kubeClientsFor(deps.kubeConfig);
}

/** The namespace to use, validated. */
export function namespaceOf(deps: ToolDeps, namespace: string | undefined): string {
  const resolved = namespace && namespace.length > 0 ? namespace : clients(deps).defaultNamespace;
  assertSafeName('namespace', resolved);
  return resolved;
}

/** Resolves a resource type through discovery after checking it can't smuggle anything. */
export async function resolveResource(deps: ToolDeps, resourceType: string): Promise<ResourceInfo> {
  assertSafeArgument('resource_type', resourceType);
  if (!/^[A-Za-z0-9.-]+(\/[A-Za-z0-9.-]+)?$/.test(resourceType)) {
    throw new ToolInputError(`Invalid resource_type "${resourceType}".`, { hint: 'use a resource name such as pods, deployments, svc or deployments.apps' });
  }
  return clients(deps).discovery.resolve(resourceType);
}

/** GET one object, with a NOT_FOUND message naming it. */
export async function readObject(deps: ToolDeps, info: ResourceInfo, namespace: string, name: string, signal?: AbortSignal): Promise<Record<string, any>> {
  return clients(deps).http.json<Record<string, any>>({ path: resourcePath(info, { namespace, name }), signal });
}

/** "deployment.apps/web" like kubectl prints it. */
export function displayName(info: ResourceInfo, name: string): string {
  return `${info.singular}${info.group ? `.${info.group}` : ''}/${name}`;
}

/** Runs kubectl with --kubeconfig from settings; a non-zero exit becomes a ToolInputError with kubectl's own message. */
export async function runKubectl(
  deps: ToolDeps,
  args: string[],
  options: { signal?: AbortSignal; stdin?: string; timeoutMs?: number; action: string },
): Promise<string> {
  const argv = [...kubectlGlobalArgs(deps), ...args];
  const result = await deps.runner.run({ binary: deps.settings.kubectlPath, args: argv, ...(kubeEnv(deps) ? { env: kubeEnv(deps) } : {}), signal: options.signal, stdin: options.stdin, timeoutMs: options.timeoutMs });
  const failure = kubectlFailure(result, options.action);
  if (failure) throw failure;
  return result.stdout;
}

/** The error for a kubectl run that timed out or exited non-zero (kubectl's own message and a hint), else undefined. */
export function kubectlFailure(result: CommandResult, action: string): ToolInputError | undefined {
  if (result.timedOut) return new ToolInputError(`Timed out while trying to ${action}.`, { hint: 'retry, or narrow the request', code: 'TIMEOUT' });
  if (result.exitCode === 0) return undefined;
  const message = (result.stderr || result.stdout).trim().split('\n').slice(0, 6).join('\n');
  return new ToolInputError(`Failed to ${action}: ${message}`, { hint: hintForKubectlError(message), code: /NotFound|not found/i.test(message) ? 'NOT_FOUND' : /Forbidden/i.test(message) ? 'FORBIDDEN' : 'FAILED' });
}

function hintForKubectlError(message: string): string {
  if (/NotFound|not found/i.test(message)) return 'list what exists with k8s_get (check the namespace and spelling)';
  if (/Forbidden/i.test(message)) return 'the MCP server account lacks RBAC permission for this';
  if (/doesn't have a resource type|the server doesn't have/i.test(message)) return 'use a resource type the cluster serves (k8s_get with resource_type "api-resources" is not available; try pods, deployments, services)';
  if (/connection refused|Unable to connect/i.test(message)) return 'check that the cluster is reachable (k8s_cluster_info)';
  return 'check the arguments and retry';
}

export { assertSafeArgument, assertSafeName };
