/**
 * Per-task figures over repeated attempts: pass@k is the unbiased estimator 1 - C(n-c, k) / C(n, k) over n attempts
 * with c passes, pass^k means every attempt passed. Both the Markdown report and the scorecard read them.
 */
import type { AttemptResult } from './run-attempt.ts';

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let index = 1; index <= k; index++) result = (result * (n - k + index)) / index;
  return result;
}

/** Probability that at least one of k attempts drawn from n (c of them passing) passes. */
export function passAtK(n: number, c: number, k: number): number {
  if (n === 0 || k > n) return 0;
  if (n - c < k) return 1;
  return 1 - choose(n - c, k) / choose(n, k);
}

export interface TaskSummary {
  task: string;
  category: string;
  attempts: number;
  passes: number;
  errors: number;
  skipped: number;
  passAt1: number;
  passAtK: number;
  passHatK: number;
  turns: number;
  toolCalls: number;
  tokens: { prompt: number; completion: number; cached: number };
  costUsd: number | null;
  wallTimeMs: number;
}

export const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

export function summarize(results: AttemptResult[]): TaskSummary[] {
  const byTask = new Map<string, AttemptResult[]>();
  for (const result of results) byTask.set(result.task, [...(byTask.get(result.task) ?? []), result]);
  return [...byTask.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([task, attempts]) => {
      const scored = attempts.filter((attempt) => attempt.result === 'pass' || attempt.result === 'fail');
      const passes = scored.filter((attempt) => attempt.result === 'pass').length;
      const k = scored.length;
      const costs = scored.map((attempt) => attempt.costUsd);
      return {
        task,
        category: attempts[0]!.category,
        attempts: attempts.length,
        passes,
        errors: attempts.filter((attempt) => attempt.result === 'error').length,
        skipped: attempts.filter((attempt) => attempt.result === 'skipped').length,
        passAt1: passAtK(k, passes, 1),
        passAtK: passAtK(k, passes, k),
        passHatK: k > 0 && passes === k ? 1 : 0,
        turns: mean(scored.map((attempt) => attempt.turns)),
        toolCalls: mean(scored.map((attempt) => attempt.toolCalls)),
        tokens: {
          prompt: mean(scored.map((attempt) => attempt.tokens.prompt)),
          completion: mean(scored.map((attempt) => attempt.tokens.completion)),
          cached: mean(scored.map((attempt) => attempt.tokens.cached)),
        },
        costUsd: costs.length > 0 && costs.every((cost) => cost !== null) ? mean(costs as number[]) : null,
        wallTimeMs: mean(scored.map((attempt) => attempt.wallTimeMs)),
      };
    });
}
