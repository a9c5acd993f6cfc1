/**
 * The machine-readable side of a result (`structured`, sent as MCP structuredContent) gets the same
 * byte budget as the text: a k8s_diff of a large manifest would otherwise ship its whole diff a second time.
 */
import { applyOutputBudget } from './apply-output-budget.ts';

export function budgetStructured(structured: Record<string, unknown>, budgetBytes: number): Record<string, unknown> {
  if (Buffer.byteLength(JSON.stringify(structured), 'utf8') <= budgetBytes) return structured;
  // Long strings (diffs, manifests) are cut at line boundaries, sharing the budget; small fields stay as they are.
  const longStrings = Object.values(structured).filter((value) => typeof value === 'string' && value.length > 256).length;
  const share = Math.max(512, Math.floor(budgetBytes / Math.max(1, longStrings)) - 64);
  const cut = Object.fromEntries(
    Object.entries(structured).map(([key, value]) => [key, typeof value === 'string' && value.length > 256 ? applyOutputBudget(value, { budgetBytes: share, kind: 'text' }) : value]),
  );
  if (Buffer.byteLength(JSON.stringify(cut), 'utf8') <= budgetBytes) return { ...cut, truncated: true };
  // Still too big (large arrays or objects): keep only what a client needs to act on the result.
  return { truncated: true, ...(structured['error'] ? { error: structured['error'] } : {}) };
}
