/**
 * The words every client uses for a tool call's state and a tool's risk, written once (issue 37 item 6): the
 * Command Center's cards and `skyflo chat` (its history, /tools) say the same thing for the same call.
 */
import { previewToolCallName } from './mcp-wire.ts';
import type { ToolStatus } from './timeline.ts';

/** A call's state as a person reads it (the card's badge, the terminal's history line). */
export const toolStatusLabels: Record<ToolStatus, string> = {
  pending: 'Pending',
  awaiting_approval: 'Awaiting approval',
  approved: 'Approved',
  denied: 'Denied',
  executing: 'Running',
  completed: 'Completed',
  error: 'Failed',
};

/**
 * Tools the MCP server lists for the engine's own use (the dry-run preview, the change baseline, the verification):
 * the model never sees them, so a tool list shown to a person leaves them out too.
 */
export const internalToolNames: readonly string[] = [previewToolCallName, 'capture_change_baseline', 'verify_change'];

export function isInternalTool(name: string): boolean {
  return internalToolNames.includes(name);
}

export type ToolRisk = 'read-only' | 'change' | 'destructive';

/**
 * What running a tool can do, from its MCP annotations. Only `readOnlyHint: true` is read-only (the gate asks
 * approval for everything else); MCP's default for a tool that is not read-only is destructive unless it says
 * `destructiveHint: false`.
 */
export function toolRisk(annotations: { readOnlyHint?: boolean; destructiveHint?: boolean }): ToolRisk {
  if (annotations.readOnlyHint === true) return 'read-only';
  return annotations.destructiveHint === false ? 'change' : 'destructive';
}

/** The badge words of a risk, as the cards show them. */
export const toolRiskLabels: Record<ToolRisk, string> = {
  'read-only': 'Read-only',
  change: 'Change (needs approval)',
  destructive: 'Destructive',
};
