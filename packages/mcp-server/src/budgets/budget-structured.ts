/**
 * The machine-readable side of a result (`structured`, sent as MCP structuredContent) gets the same
 * byte budget as the text: a k8s_diff of a large manifest would otherwise ship its whole diff a second time.
 */
import { applyOutputBudget } from './apply-output-budget.ts';

export function budgetStructured(structured: Record<string, unknown>, budgetBytes: number): Record<string, unknown> {
  if (Buffer.byteLength(JSON.stringify(structured), 'utf8') <= budgetBytes) return structured;
  // Long strings (diffs, manifests) are cut at line boundaries, sharing the budget; small fields stay as they are.
  const isLong = (value: unknown) => typeof value === 'string' && value.length > 256;
  const longStrings = Object.values(structured).filter(isLong).length;
  // the small fields stay whole, so the long strings share what they leave
  const fixedBytes = Buffer.byteLength(JSON.stringify(Object.fromEntries(Object.entries(structured).filter(([, value]) => !isLong(value)))), 'utf8');
  const share = Math.max(512, Math.floor(Math.max(0, budgetBytes - fixedBytes) / Math.max(1, longStrings)) - 64);
  const cut = Object.fromEntries(
    Object.entries(structured).map(([key, value]) => [key, typeof value === 'string' && value.length > 256 ? applyOutputBudget(value, { budgetBytes: share, kind: 'text' }) : value]),
  );
  if (Buffer.byteLength(JSON.stringify(cut), 'utf8') <= budgetBytes) return { ...cut, truncated: true };
  // Still too big (large arrays or objects): keep only what a client needs to act on the result.
  return { truncated: true, ...(structured['error'] ? { error: structured['error'] } : {}) };
}
