/**
 * One verification of an executed change (issue 21): the MCP server's read-only, watch-based `verify_change` tool,
 * bounded by VERIFY_TIMEOUT_SECONDS (it blocks until a verdict or its deadline; no polling here). Whatever goes
 * wrong with the check itself ends as `timed_out` with the reason: a verification never silently vanishes.
 */
import { finalVerificationOutcomes, type VerificationEvidence, type VerificationOutcome } from '@skyflo/protocol';
import type { JenkinsCallCredentials, ToolGateway } from '../../../platform/ports/tool-gateway.ts';

export const verifyChangeTool = 'verify_change';

export type FinalOutcome = Exclude<VerificationOutcome, 'verifying'>;

export interface VerificationResult {
  outcome: FinalOutcome;
  summary: string;
  evidence: VerificationEvidence[];
  controller?: string;
}

/** Extra time the MCP request gets beyond the verification's own deadline (the tool answers `timed_out` itself first). */
const requestSlackMs = 30_000;
const maxEvidence = 20;
const maxEvidenceChars = 4000;

export function parseVerification(structured: Record<string, unknown> | undefined): VerificationResult | undefined {
  const outcome = structured?.['outcome'];
  if (typeof outcome !== 'string' || !(finalVerificationOutcomes as readonly string[]).includes(outcome)) return undefined;
  const evidence = Array.isArray(structured!['evidence']) ? structured!['evidence'] : [];
  return {
    outcome: outcome as FinalOutcome,
    summary: typeof structured!['summary'] === 'string' ? structured!['summary'] : outcome,
    evidence: evidence
      .filter((item): item is { read: string; text: string } => !!item && typeof item.read === 'string' && typeof item.text === 'string')
      .slice(0, maxEvidence)
      .map((item) => ({ read: item.read, text: item.text.length > maxEvidenceChars ? `${item.text.slice(0, maxEvidenceChars)}\n…` : item.text })),
    ...(typeof structured!['controller'] === 'string' ? { controller: structured!['controller'] } : {}),
  };
}

export async function verifyChange(
  tools: Pick<ToolGateway, 'callTool'>,
  input: {
    tool: string;
    args: Record<string, unknown>;
    before?: Record<string, unknown>;
    /** what the call's own result says to follow (Jenkins: the build it started) */
    result?: Record<string, unknown>;
    /** a Jenkins call's integration credentials, sent beside the arguments like the call's own */
    jenkinsCredentials?: JenkinsCallCredentials;
    timeoutSeconds: number;
    holdSeconds?: number;
    signal?: AbortSignal;
  },
): Promise<VerificationResult> {
  // the MCP tool's bounds (timeout_seconds ≤ 1800, hold_seconds ≤ 300): a larger setting is capped, not refused
  const seconds = Math.min(1800, Math.max(1, Math.ceil(input.timeoutSeconds)));
  try {
    const outcome = await tools.callTool({
      name: verifyChangeTool,
      args: { tool: input.tool, args: input.args, ...(input.before ? { before: input.before } : {}), ...(input.result ? { result: input.result } : {}), timeout_seconds: seconds, ...(input.holdSeconds !== undefined ? { hold_seconds: Math.min(300, input.holdSeconds) } : {}) },
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.jenkinsCredentials ? { jenkinsCredentials: input.jenkinsCredentials } : {}),
      timeoutMs: seconds * 1000 + requestSlackMs,
    });
    const parsed = outcome.isError ? undefined : parseVerification(outcome.structured);
    if (parsed) return parsed;
    return { outcome: 'timed_out', summary: `The verification gave no verdict: ${(outcome.text || 'no result').split('\n')[0]!.slice(0, 300)}`, evidence: [] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: 'timed_out', summary: `The verification could not finish: ${message.split('\n')[0]!.slice(0, 300)}`, evidence: [] };
  }
}

/** The line appended to the tool result the model reads, so its answer says what really happened. */
export function verificationLine(result: Pick<VerificationResult, 'outcome' | 'summary' | 'evidence'>, extra?: string): string {
  const evidence = result.outcome === 'verified' || result.outcome === 'not_applicable' ? '' : result.evidence.slice(0, 3).map((item) => `\n  ${item.read}: ${item.text.split('\n').slice(0, 4).join(' | ').slice(0, 400)}`).join('');
  return `Verification: ${result.outcome} — ${result.summary}${evidence}${extra ? `\n${extra}` : ''}`;
}
