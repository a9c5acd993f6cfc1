/**
 * Whether a tool call needs a human's approval. An ordered list of small pure rules; the first rule that
 * returns a reason wins. Fails closed: only a tool the MCP server positively marks `readOnlyHint: true`
 * runs without approval — unknown tools, missing annotations and anything else need approval.
 */
import { changedSystem, describeToolCall } from '@skyflo/safety';
import type { ToolInfo } from '../../../platform/ports/tool-gateway.ts';

export interface ApprovalInput {
  tool: string;
  /** the catalogue entry, or undefined when the tool is unknown or the catalogue could not be read */
  info: ToolInfo | undefined;
  /** the call's arguments, so the reason can say what it does ("scales deployment shop/web to 5 replicas") */
  args?: Record<string, unknown>;
}

export interface ApprovalDecision {
  requiresApproval: boolean;
  reason: string;
}

/** Returns a reason why approval is required, or undefined to defer to the next rule. */
export type ApprovalRule = (input: ApprovalInput) => string | undefined;

// Reasons are shown on the approval card as they are: plain words about the call, not annotation names.
export const unknownToolRule: ApprovalRule = ({ tool, info }) =>
  info === undefined || info.name !== tool ? `Unknown tool: ${tool} is not in the MCP server's tool list, so what it changes cannot be checked.` : undefined;

export const missingAnnotationsRule: ApprovalRule = ({ tool, info }) =>
  info?.annotations === undefined ? `${tool} does not say whether it only reads, so it is treated as a change.` : undefined;

// Only an explicit `true` counts; `undefined`, `false` or a non-boolean (a misbehaving server) all gate.
export const notReadOnlyRule: ApprovalRule = ({ tool, info, args }) =>
  info?.annotations?.readOnlyHint !== true ? `Changes ${changedSystem(tool)}: ${describeToolCall(tool, args ?? {})}` : undefined;

export const defaultApprovalRules: readonly ApprovalRule[] = [unknownToolRule, missingAnnotationsRule, notReadOnlyRule];

export function decideApproval(input: ApprovalInput, rules: readonly ApprovalRule[] = defaultApprovalRules): ApprovalDecision {
  for (const rule of rules) {
    let reason: string | undefined;
    try {
      reason = rule(input);
    } catch (error) {
      // A rule that throws must not open the gate.
      reason = `The approval check failed (${error instanceof Error ? error.message : String(error)}), so a person decides.`;
    }
    if (reason !== undefined) return { requiresApproval: true, reason };
  }
  return { requiresApproval: false, reason: `${input.tool} only reads` };
}
