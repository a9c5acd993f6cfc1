/**
 * Who is calling the executor (issue 73): each caller has its own bearer token and opens only its own endpoints.
 * - `engine` (SKYFLO_EXECUTOR_TOKEN): approvals, credential mint and release, approver keys;
 * - `dry-run` (SKYFLO_DRY_RUN_TOKEN, the MCP server's): POST /v1/dry-run and POST /v1/helm/render (its Helm
 *   previews rendered as the executor, answered without Secret values) only. Before, the MCP server held the
 *   engine's token, so a taken-over MCP server could register an approver key for anyone, delete a person's key or
 *   release a running call's credential;
 * - `admission` (SKYFLO_EXECUTOR_ADMISSION_TOKEN, optional): what kube-apiserver presents to the webhook when its
 *   AdmissionConfiguration gives it a kubeconfig user for the executor's host. Without it the webhook must answer
 *   anonymous callers (a stock API server sends no credential), and its refusals then say nothing about approvals.
 * The engine does not get the dry-run endpoint: it never previews itself (least privilege).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type Caller = 'engine' | 'dry-run' | 'admission';

export interface CallerTokens {
  engine: string;
  dryRun?: string;
  admission?: string;
}

/** Which variable holds each caller's token, for the messages. */
export const callerTokenVariables: Record<Caller, string> = {
  engine: 'SKYFLO_EXECUTOR_TOKEN',
  'dry-run': 'SKYFLO_DRY_RUN_TOKEN',
  admission: 'SKYFLO_EXECUTOR_ADMISSION_TOKEN',
};

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Refuses a configuration in which two callers would share a token (then one could open the other's endpoints). */
export function callerTokenProblems(tokens: CallerTokens): string[] {
  const problems: string[] = [];
  if (!tokens.engine) problems.push(`the engine's token (${callerTokenVariables.engine}) is missing`);
  const named = [['engine', tokens.engine], ['dry-run', tokens.dryRun], ['admission', tokens.admission]] as const;
  for (const [index, [caller, token]] of named.entries()) {
    for (const [other, otherToken] of named.slice(index + 1)) {
      if (token && otherToken && token === otherToken) problems.push(`${callerTokenVariables[caller]} and ${callerTokenVariables[other]} are the same token; each caller needs its own`);
    }
  }
  return problems;
}

/** Compares digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte. */
export function createCallerAuth(tokens: CallerTokens) {
  const known = ([['engine', tokens.engine], ['dry-run', tokens.dryRun], ['admission', tokens.admission]] as Array<[Caller, string | undefined]>)
    .filter((entry): entry is [Caller, string] => !!entry[1])
    .map(([caller, token]) => [caller, digest(token)] as const);

  /** The caller a request's Authorization header names, or undefined (no bearer, or one the executor does not know). */
  function identify(header: string | undefined): Caller | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
    if (!match) return undefined;
    const presented = digest(match[1]!.trim());
    // Every token is compared, so the time taken does not say which caller a near-miss resembles.
    let found: Caller | undefined;
    for (const [caller, expected] of known) if (timingSafeEqual(presented, expected)) found = caller;
    return found;
  }

  /**
   * undefined when `caller` may use an endpoint of `needed`; else the status and message to answer with: 401 for
   * no or an unknown token, 403 for another caller's token (it is known, it just does not open this door).
   */
  function check(header: string | undefined, needed: Caller): { status: 401 | 403; message: string } | undefined {
    const caller = identify(header);
    if (caller === needed) return undefined;
    const variable = callerTokenVariables[needed];
    if (!caller) return { status: 401, message: `this executor endpoint needs the ${needed === 'dry-run' ? "MCP server's dry-run" : needed === 'admission' ? "API server's admission" : "engine's"} bearer token (${variable})` };
    return { status: 403, message: `the ${caller} token does not open this endpoint; it needs ${variable}` };
  }

  return { identify, check, hasDryRun: !!tokens.dryRun, hasAdmission: !!tokens.admission };
}

export type CallerAuth = ReturnType<typeof createCallerAuth>;
