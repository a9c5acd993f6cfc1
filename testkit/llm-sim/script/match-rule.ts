import { messageText, type ChatRequestView } from '../chat-request.ts';
import type { ParsedRule } from './script-schema.ts';

/** Where the request sits in the sim's history; `sequence` is 1-based. */
export interface MatchContext {
  request: ChatRequestView;
  sequence: number;
}

/** True when every condition the rule sets holds (conditions are ANDed; an empty match always matches). */
export function ruleMatches(rule: ParsedRule, { request, sequence }: MatchContext): boolean {
  const match = rule.match;
  const user = request.lastUserMessage ?? '';
  if (match.userContains !== undefined && !user.toLowerCase().includes(match.userContains.toLowerCase())) return false;
  if (match.userMatches !== undefined && !new RegExp(match.userMatches, 'i').test(user)) return false;
  if (match.toolResultContains !== undefined) {
    const needle = match.toolResultContains.toLowerCase();
    if (!request.latestToolResults.some((result) => result.content.toLowerCase().includes(needle))) return false;
  }
  if (match.systemContains !== undefined) {
    const system = request.messages.filter((message) => message.role === 'system').map((message) => messageText(message.content)).join('\n').toLowerCase();
    if (!system.includes(match.systemContains.toLowerCase())) return false;
  }
  if (match.toolName !== undefined && !request.latestToolResults.some((result) => result.name === match.toolName)) return false;
  if (match.hasTool !== undefined && !request.toolNames.includes(match.hasTool)) return false;
  if (match.sequence !== undefined && match.sequence !== sequence) return false;
  if (match.lastRole !== undefined && request.lastRole !== match.lastRole) return false;
  if (match.model !== undefined && request.model !== match.model) return false;
  return true;
}

/** Index of the first matching rule that is still available, or undefined. */
export function findRule(rules: ParsedRule[], context: MatchContext, spent: ReadonlySet<number>): number | undefined {
  const index = rules.findIndex((rule, ruleIndex) => !spent.has(ruleIndex) && ruleMatches(rule, context));
  return index === -1 ? undefined : index;
}
