/**
 * What the gate needs to know about a mutating call besides its annotations: how to show its arguments without
 * revealing Secret values, which risks to flag on the approval card, and whether it is destructive. The rules live in
 * @skyflo/safety (one source for the engine's cards and the MCP server's own confirmations and previews).
 */
import { createHmac } from 'node:crypto';
import { assessToolCallRisks, isDestructiveCall, redactToolArguments } from '@skyflo/safety';
import type { RiskFlag } from '../../../platform/ports/index.ts';

export interface ToolCallInspector {
  /** the arguments safe to show and store: Secret values replaced by key, length and digest */
  displayArgs(tool: string, args: Record<string, unknown>): Record<string, unknown>;
  risks(tool: string, args: Record<string, unknown>): RiskFlag[];
  /**
   * whether the call can lose data or take a service down (scale to 0, delete, uninstall, drain), from its arguments
   * and the risks found in it — not from the tool's destructiveHint, which k8s_scale carries for 3 → 5 too
   */
  destructive(tool: string, args: Record<string, unknown>, risks: RiskFlag[]): boolean;
}

/**
 * `encryptionKey`: the digests shown for Secret values are keyed by it (HMAC), because a plain sha-256 prefix of a
 * short password can be guessed offline; without a key (agent-only tests) plain digests are used.
 */
export function createToolCallInspector(options: { encryptionKey?: Buffer } = {}): ToolCallInspector {
  const digestKey = options.encryptionKey ? createHmac('sha256', options.encryptionKey).update('skyflo:approval-card-digest').digest() : undefined;
  return {
    displayArgs: (tool, args) => redactToolArguments(tool, args, digestKey ? { digestKey } : {}),
    risks: assessToolCallRisks,
    destructive: isDestructiveCall,
  };
}
