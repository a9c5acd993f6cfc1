/**
 * Results: one JSON line per attempt (results.jsonl) and a Markdown table per task with pass@k, means and totals
 * (results.md). pass@k is the unbiased estimator 1 - C(n-c, k) / C(n, k) over n attempts with c passes; pass^k
 * (every attempt passed) is shown beside it, as k8s-ai-bench's leaderboard does.
 */
import type { AttemptResult } from './run-attempt.ts';
import { categoryScores } from './scorecard.ts';
import { mean, summarize } from './task-summary.ts';

const percent = (value: number) => `${(value * 100).toFixed(0)}%`;
const thousands = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : String(Math.round(value)));
const dollars = (value: number | null) => (value === null ? '–' : `$${value.toFixed(value < 0.01 ? 4 : 3)}`);

export function markdownReport(input: { model: string; repeat: number; results: AttemptResult[]; startedAt: string; cluster: string }): string {
  const summaries = summarize(input.results);
  const k = input.repeat;
  const lines = [
    `# Skyflo eval: ${input.model}`,
    '',
    `${input.startedAt} · ${summaries.length} tasks × ${k} attempt${k === 1 ? '' : 's'} · cluster: ${input.cluster}`,
    '',
    `| task | category | passed | pass@1 | ${k > 1 ? `pass@${k} | pass^${k} | ` : ''}turns | tool calls | prompt / completion / cached tokens | cost | wall time |`,
    `|---|---|---|---|${k > 1 ? '---|---|' : ''}---|---|---|---|---|`,
  ];
  for (const summary of summaries) {
    const scored = summary.attempts - summary.errors - summary.skipped;
    const passed = summary.skipped === summary.attempts ? 'skipped' : `${summary.passes}/${scored}${summary.errors ? ` (${summary.errors} error${summary.errors === 1 ? '' : 's'})` : ''}`;
    lines.push(
      `| ${summary.task} | ${summary.category} | ${passed} | ${percent(summary.passAt1)} | ${k > 1 ? `${percent(summary.passAtK)} | ${percent(summary.passHatK)} | ` : ''}${summary.turns.toFixed(1)} | ${summary.toolCalls.toFixed(1)} | ${thousands(summary.tokens.prompt)} / ${thousands(summary.tokens.completion)} / ${thousands(summary.tokens.cached)} | ${dollars(summary.costUsd)} | ${(summary.wallTimeMs / 1000).toFixed(1)} s |`,
    );
  }
  const scoredTasks = summaries.filter((summary) => summary.attempts - summary.errors - summary.skipped > 0);
  const totalCost = input.results.every((result) => result.costUsd !== null || result.result === 'skipped' || result.result === 'error')
    ? input.results.reduce((sum, result) => sum + (result.costUsd ?? 0), 0)
    : null;
  lines.push('');
  lines.push(
    `**pass@1 ${percent(mean(scoredTasks.map((summary) => summary.passAt1)))}**` +
      (k > 1 ? ` · pass@${k} ${percent(mean(scoredTasks.map((summary) => summary.passAtK)))} · pass^${k} ${percent(mean(scoredTasks.map((summary) => summary.passHatK)))}` : '') +
      ` · ${input.results.filter((result) => result.result === 'pass').length}/${input.results.filter((result) => result.result === 'pass' || result.result === 'fail').length} attempts passed` +
      ` · cost ${dollars(totalCost)} · ${input.results.filter((result) => result.result === 'error').length} infrastructure errors`,
  );
  // Reliability per category: pass@1 (share of attempts) beside pass^k (share of tasks that passed every attempt).
  lines.push('', `| category | tasks | pass@1 | pass^${k} |`, '|---|---|---|---|');
  for (const score of categoryScores(input.results)) lines.push(`| ${score.category} | ${score.tasks} | ${percent(score.passAt1)} | ${percent(score.passHatN)} |`);
  const problems = input.results.filter((result) => result.result !== 'pass');
  if (problems.length > 0) {
    lines.push('', '## Failures', '');
    for (const result of problems) {
      lines.push(`- **${result.task}** #${result.attempt} (${result.result}): ${[...result.failures, ...(result.error ? [result.error] : [])].join('; ').replace(/\n/g, ' ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
