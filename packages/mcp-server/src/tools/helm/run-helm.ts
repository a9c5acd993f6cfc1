/**
 * The single path from a helm tool to the helm binary: argv only (via the CommandRunner port), the
 * configured kubeconfig and helm environment, and helm's stderr turned into a clear tool error.
 */
import { applyOutputBudget } from '../../budgets/apply-output-budget.ts';
import { outcomeUnknownErrorCode } from '@skyflo/protocol';
import { toolError } from '../../contract/errors.ts';
import { redactText } from '@skyflo/safety';
import { helmContextArgs, helmImpersonationArgs, kubeconfigArgs, kubeEnv } from '../../kube/impersonation.ts';
import type { ToolOutput } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';

export interface HelmCall {
  args: string[];
  /** values YAML for `-f -`; why stdin: values often hold passwords and argv is visible in `ps` */
  stdin?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export type HelmOutcome = { ok: true; stdout: string; stderr: string } | { ok: false; output: ToolOutput; stderr?: string };

const defaultTimeoutMs = 120_000;

export async function runHelm(deps: ToolDeps, call: HelmCall): Promise<HelmOutcome> {
  const { settings } = deps;
  const args = [...call.args];
  args.push(...kubeconfigArgs(deps), ...helmContextArgs(deps), ...helmImpersonationArgs(deps));
  const env = settings.helmEnv || kubeEnv(deps) ? { ...settings.helmEnv, ...kubeEnv(deps) } : undefined;
  let result;
  try {
    result = await deps.runner.run({
      binary: settings.helmPath,
      args,
      stdin: call.stdin,
      env,
      timeoutMs: call.timeoutMs ?? defaultTimeoutMs,
      signal: call.signal,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') return { ok: false, output: missingBinary(settings.helmPath) };
    throw error;
  }
  // Issue 75: a release change cut off mid-way (stopped, cancelled, or its connection to the cluster lost) may have
  // been applied in part or in full: its outcome is unknown, not failed.
  const cutOff = result.timedOut ? `it did not finish within ${Math.round((call.timeoutMs ?? defaultTimeoutMs) / 1000)} s and was stopped` : result.exitCode === 130 && call.signal?.aborted ? 'it was cancelled while running' : result.exitCode !== 0 && lostConnection.test(result.stderr) ? `its connection to the cluster was lost (${redactText(result.stderr.match(lostConnection)![0])})` : undefined;
  if (cutOff && changesRelease(call.args)) {
    return {
      ok: false,
      output: toolError(
        `helm ${call.args[0]} was sent to the cluster but ${cutOff}; the release may or may not have changed.`,
        'read the release with helm_status and helm_history before retrying: it may already show the change.',
        outcomeUnknownErrorCode,
      ),
    };
  }
  if (result.timedOut) {
    return {
      ok: false,
      output: toolError(
        `helm ${call.args[0]} did not finish within ${Math.round((call.timeoutMs ?? defaultTimeoutMs) / 1000)} s and was stopped.`,
        'check the release with helm_status (it may still be progressing), or retry with wait=false or a larger timeout_seconds.',
      ),
    };
  }
  // 127 is what a runner reports when the binary could not be started at all
  if (result.exitCode === 127) return { ok: false, output: missingBinary(settings.helmPath) };
  if (result.exitCode !== 0) return { ok: false, output: explainHelmFailure(call.args, result.stderr || result.stdout, deps), stderr: result.stderr };
  return { ok: true, stdout: result.stdout, stderr: result.stderr };
}

/** helm subcommands that change a release (a dry run changes nothing) */
function changesRelease(args: string[]): boolean {
  return ['install', 'upgrade', 'rollback', 'uninstall'].includes(args[0] ?? '') && !args.some((arg) => arg === '--dry-run' || arg.startsWith('--dry-run='));
}

/** What Go's HTTP client says when a connection broke after a request was sent (not a refused or unresolved one). */
const lostConnection = /connection reset by peer|unexpected EOF|http2: client connection lost|use of closed network connection|broken pipe|i\/o timeout|Client\.Timeout exceeded while awaiting headers/i;

function missingBinary(helmPath: string): ToolOutput {
  return toolError(`The helm binary was not found at ${helmPath}.`, 'install helm 3 on the MCP server host or set its path in the server settings.');
}

/** Known helm failures become a sentence plus what to try; the raw (redacted) message is kept for detail. */
const failureRules: Array<{ pattern: RegExp; message: string; hint: string }> = [
  { pattern: /release: not found|release .* not found/i, message: 'The Helm release was not found in that namespace.', hint: 'list releases with helm_list_releases (all_namespaces=true) to find its name and namespace.' },
  { pattern: /cannot re-use a name that is still in use/i, message: 'A release with that name already exists.', hint: 'use helm_upgrade to change it, or choose another release_name.' },
  { pattern: /Kubernetes cluster unreachable|connection refused|no such host/i, message: 'The Kubernetes cluster is unreachable from the MCP server.', hint: 'check the cluster connection (k8s_cluster_info) and the kubeconfig the server uses.' },
  { pattern: /forbidden/i, message: 'The Kubernetes API refused the request (RBAC forbidden).', hint: "grant the MCP server's service account the needed permissions, or ask a cluster admin." },
  { pattern: /no repo named|repo .* not found|no repositories (to show|found|configured)/i, message: 'The chart repository is not configured on this server.', hint: 'add it with helm_repo_add, then helm_repo_update.' },
  { pattern: /not found in .* repository|failed to download|chart .* not found|path .* not found/i, message: 'The chart could not be found.', hint: 'search for it with helm_search_repo, or run helm_repo_update to refresh the index.' },
  { pattern: /already exists/i, message: 'It already exists.', hint: 'remove or rename the existing one first.' },
  { pattern: /has no deployed releases/i, message: 'The release has no deployed revision to upgrade.', hint: 'inspect it with helm_history; roll back with helm_rollback or uninstall and install again.' },
  { pattern: /error converting YAML|yaml: line|yaml: unmarshal|cannot unmarshal|parse error/i, message: 'Helm could not parse the values or rendered manifests as YAML.', hint: 'check the values document for indentation and quoting errors.' },
  { pattern: /timed out waiting for the condition|context deadline exceeded/i, message: 'Helm timed out waiting for resources to become ready.', hint: 'check pods with k8s_get / k8s_describe; retry with wait=false or a longer timeout_seconds.' },
];

function explainHelmFailure(args: string[], stderr: string, deps: ToolDeps): ToolOutput {
  const detail = applyOutputBudget(redactText(stderr.trim()), { budgetBytes: Math.min(4096, deps.settings.outputBudgetBytes), kind: 'text' });
  const rule = failureRules.find((candidate) => candidate.pattern.test(stderr));
  const what = rule ? rule.message : `helm ${args.slice(0, args[0] === 'repo' || args[0] === 'get' || args[0] === 'show' ? 2 : 1).join(' ')} failed.`;
  return toolError(`${what}\nhelm said: ${detail}`, rule?.hint ?? 'read the message above; fix the arguments and retry.');
}

/** Redacts and budgets helm's text output before it reaches the model. */
export function helmTextOutput(text: string, deps: ToolDeps, options: { hint?: string; structured?: Record<string, unknown> } = {}): ToolOutput {
  const body = text.trim() === '' ? '(helm printed nothing)' : redactText(text);
  const output: ToolOutput = { text: applyOutputBudget(body, { budgetBytes: deps.settings.outputBudgetBytes, kind: 'text', hint: options.hint }) };
  if (options.structured) output.structured = options.structured;
  return output;
}
