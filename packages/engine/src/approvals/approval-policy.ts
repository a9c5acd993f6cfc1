/**
 * Whether a tool call needs a human's approval. An ordered list of small pure rules; the first rule that
 * returns a reason wins. Fails closed: only a tool the MCP server positively marks `readOnlyHint: true`
 * runs without approval — unknown tools, missing annotations and anything else need approval.
 */
import type { ToolInfo } from '../mcp/tool-gateway.ts';

export interface ApprovalInput {
  tool: string;
  /** the catalogue entry, or undefined when the tool is unknown or the catalogue could not be read */
  info: ToolInfo | undefined;
}

export interface ApprovalDecision {
  requiresApproval: boolean;
  reason: string;
}

/** Returns a reason why approval is required, or undefined to defer to the next rule. */
export type ApprovalRule = (input: ApprovalInput) => string | undefined;

export const unknownToolRule: ApprovalRule = ({ tool, info }) =>
  info === undefined || info.name !== tool ? `'${tool}' is not in the MCP tool catalogue` : undefined;

export const missingAnnotationsRule: ApprovalRule = ({ tool, info }) =>
  info?.annotations === undefined ? `'${tool}' declares no annotations` : undefined;

// Only an explicit `true` counts; `undefined`, `false` or a non-boolean (a misbehaving server) all gate.
export const notReadOnlyRule: ApprovalRule = ({ tool, info }) =>
  info?.annotations?.readOnlyHint !== true ? `'${tool}' may change state (readOnlyHint is not true)` : undefined;

export const defaultApprovalRules: readonly ApprovalRule[] = [unknownToolRule, missingAnnotationsRule, notReadOnlyRule];

export function decideApproval(input: ApprovalInput, rules: readonly ApprovalRule[] = defaultApprovalRules): ApprovalDecision {
  for (const rule of rules) {
    let reason: string | undefined;
    try {
      reason = rule(input);
    } catch (error) {
      // A rule that throws must not open the gate.
      reason = `approval rule failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (reason !== undefined) return { requiresApproval: true, reason };
  }
  return { requiresApproval: false, reason: `'${input.tool}' is read-only` };
}
