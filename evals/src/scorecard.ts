/**
 * The trust scorecard: per category pass@1 and pass^N (every one of N attempts passed), the model, Skyflo's version,
 * the date, median tokens, cost, median time to the first tool call and to the answer, and every failing task with
 * its reasons — as Markdown for a pull request or a wiki page, and as a standalone HTML page with a small bar chart
 * per category. Both are rendered from results.jsonl lines only, so an old run can be re-rendered or compared.
 */
import type { AttemptResult } from './run-attempt.ts';
import { summarize } from './task-summary.ts';

export interface CategoryScore {
  category: string;
  tasks: number;
  attempts: number;
  /** mean over the category's tasks of each task's pass@1 (share of its attempts that passed) */
  passAt1: number;
  /** share of the category's tasks whose every attempt passed */
  passHatN: number;
  /** attempts per task (the smallest, when tasks differ) */
  repeat: number;
  medianTokens: number | null;
  costUsd: number | null;
  medianFirstToolMs: number | null;
  medianAnswerMs: number | null;
}

export interface ScorecardInput {
  model: string;
  skyfloVersion: string;
  date: string;
  results: AttemptResult[];
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const scoredOnly = (results: AttemptResult[]) => results.filter((result) => result.result === 'pass' || result.result === 'fail');

function scoreOf(category: string, results: AttemptResult[]): CategoryScore {
  const tasks = summarize(results).filter((task) => task.attempts - task.errors - task.skipped > 0);
  const scored = scoredOnly(results);
  const costs = scored.map((result) => result.costUsd);
  const numbers = (values: Array<number | null | undefined>) => values.filter((value): value is number => typeof value === 'number');
  return {
    category,
    tasks: tasks.length,
    attempts: scored.length,
    passAt1: tasks.length === 0 ? 0 : tasks.reduce((sum, task) => sum + task.passAt1, 0) / tasks.length,
    passHatN: tasks.length === 0 ? 0 : tasks.filter((task) => task.passHatK === 1).length / tasks.length,
    repeat: tasks.length === 0 ? 0 : Math.min(...tasks.map((task) => task.attempts - task.errors - task.skipped)),
    medianTokens: median(scored.map((result) => result.tokens.prompt + result.tokens.completion)),
    costUsd: costs.length > 0 && costs.every((cost) => cost !== null) ? (costs as number[]).reduce((sum, cost) => sum + cost, 0) : null,
    medianFirstToolMs: median(numbers(scored.map((result) => result.firstToolMs))),
    medianAnswerMs: median(numbers(scored.map((result) => result.answerMs))),
  };
}

/** One score per category (sorted by name), then `all` over every task. */
export function categoryScores(results: AttemptResult[]): CategoryScore[] {
  const byCategory = new Map<string, AttemptResult[]>();
  for (const result of results) byCategory.set(result.category, [...(byCategory.get(result.category) ?? []), result]);
  return [...[...byCategory.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([category, list]) => scoreOf(category, list)), scoreOf('all', results)];
}

const percent = (value: number) => `${(value * 100).toFixed(0)}%`;
const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const dollars = (value: number | null) => (value === null ? '–' : `$${value.toFixed(value < 0.01 ? 4 : 3)}`);
const count = (value: number | null) => (value === null ? '–' : value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : String(Math.round(value)));

/** Every attempt that did not pass, with its reasons, grouped by task. */
function failingTasks(results: AttemptResult[]): Array<{ task: string; category: string; attempts: string; reasons: string[] }> {
  const byTask = new Map<string, AttemptResult[]>();
  for (const result of results) if (result.result === 'fail' || result.result === 'error') byTask.set(result.task, [...(byTask.get(result.task) ?? []), result]);
  return [...byTask.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([task, list]) => ({
      task,
      category: list[0]!.category,
      attempts: list.map((result) => `#${result.attempt}${result.result === 'error' ? ' (error)' : ''}`).join(', '),
      reasons: [...new Set(list.flatMap((result) => [...result.failures, ...(result.error ? [result.error] : [])]))].map((reason) => reason.replace(/\s+/g, ' ').slice(0, 500)),
    }));
}

function headline(scores: CategoryScore[]): string {
  const all = scores.at(-1)!;
  return `pass@1 ${percent(all.passAt1)} · pass^${all.repeat} ${percent(all.passHatN)} over ${all.tasks} tasks (${all.attempts} attempts)`;
}

export function scorecardMarkdown(input: ScorecardInput): string {
  const scores = categoryScores(input.results);
  const n = scores.at(-1)!.repeat;
  const lines = [
    `# Skyflo trust scorecard: ${input.model}`,
    '',
    `| model | Skyflo | date |`,
    `|---|---|---|`,
    `| ${input.model} | ${input.skyfloVersion} | ${input.date} |`,
    '',
    `**${headline(scores)}**`,
    '',
    `| category | tasks | pass@1 | pass^${n} | median tokens | cost | median time to first tool call | median time to answer |`,
    `|---|---|---|---|---|---|---|---|`,
    ...scores.map(
      (score) =>
        `| ${score.category === 'all' ? '**all**' : score.category} | ${score.tasks} | ${percent(score.passAt1)} | ${percent(score.passHatN)} | ${count(score.medianTokens)} | ${dollars(score.costUsd)} | ${seconds(score.medianFirstToolMs)} | ${seconds(score.medianAnswerMs)} |`,
    ),
    '',
    `pass@1: the share of attempts that passed, averaged over a category's tasks. pass^${n}: the share of tasks that passed all ${n} attempts.`,
  ];
  const failing = failingTasks(input.results);
  lines.push('', '## Failing tasks', '');
  if (failing.length === 0) lines.push('None.');
  for (const task of failing) {
    lines.push(`- **${task.task}** (${task.category}, attempts ${task.attempts})`);
    for (const reason of task.reasons) lines.push(`  - ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** Two bars per category (pass@1, pass^N) as inline SVG: no script, no external asset, readable offline. */
function chart(score: CategoryScore, n: number): string {
  const bar = (label: string, value: number, y: number, colour: string) =>
    `<text x="0" y="${y + 11}" font-size="11">${label}</text><rect x="52" y="${y}" width="200" height="14" fill="#eee"/><rect x="52" y="${y}" width="${(value * 200).toFixed(1)}" height="14" fill="${colour}"/><text x="258" y="${y + 11}" font-size="11">${percent(value)}</text>`;
  return `<svg role="img" aria-label="${escapeHtml(score.category)}: pass@1 ${percent(score.passAt1)}, pass^${n} ${percent(score.passHatN)}" width="290" height="36" xmlns="http://www.w3.org/2000/svg">${bar('pass@1', score.passAt1, 0, '#2f7d32')}${bar(`pass^${n}`, score.passHatN, 19, '#1f5fa8')}</svg>`;
}

export function scorecardHtml(input: ScorecardInput): string {
  const scores = categoryScores(input.results);
  const n = scores.at(-1)!.repeat;
  const rows = scores
    .map(
      (score) =>
        `<tr><th scope="row">${escapeHtml(score.category)}</th><td>${score.tasks}</td><td>${chart(score, n)}</td><td>${count(score.medianTokens)}</td><td>${dollars(score.costUsd)}</td><td>${seconds(score.medianFirstToolMs)}</td><td>${seconds(score.medianAnswerMs)}</td></tr>`,
    )
    .join('\n');
  const failing = failingTasks(input.results)
    .map((task) => `<li><strong>${escapeHtml(task.task)}</strong> (${escapeHtml(task.category)}, attempts ${escapeHtml(task.attempts)})<ul>${task.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('')}</ul></li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Skyflo trust scorecard: ${escapeHtml(input.model)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:middle}</style></head>
<body>
<h1>Skyflo trust scorecard: ${escapeHtml(input.model)}</h1>
<p>Model <strong>${escapeHtml(input.model)}</strong> · Skyflo <strong>${escapeHtml(input.skyfloVersion)}</strong> · ${escapeHtml(input.date)}</p>
<p><strong>${escapeHtml(headline(scores))}</strong></p>
<table>
<thead><tr><th>category</th><th>tasks</th><th>pass@1 / pass^${n}</th><th>median tokens</th><th>cost</th><th>median time to first tool call</th><th>median time to answer</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Failing tasks</h2>
${failing ? `<ul>\n${failing}\n</ul>` : '<p>None.</p>'}
</body></html>
`;
}
