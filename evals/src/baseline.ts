/**
 * `--baseline OLD.jsonl`: compares this run with an earlier one, category by category, so a team can gate a model
 * switch or a Skyflo upgrade in CI. A category regresses when its pass@1 (or its pass^N, when both runs made the same
 * number of attempts per task) drops by more than the margin, in percentage points. A category the old run did not
 * have is new, not a regression; one this run lacks is reported as missing (tasks were filtered or removed).
 */
import { readFileSync } from 'node:fs';
import type { AttemptResult } from './run-attempt.ts';
import { categoryScores, type CategoryScore } from './scorecard.ts';

export interface Regression {
  category: string;
  metric: string;
  before: number;
  after: number;
}

export interface BaselineComparison {
  regressions: Regression[];
  missing: string[];
  text: string;
}

export class BaselineError extends Error {}

/** Reads a results.jsonl; a line that is not an attempt result names its line number. */
export function readResults(file: string): AttemptResult[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BaselineError(`cannot read the baseline ${file}: ${(error as Error).message}`);
  }
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, number }) => {
      let parsed: Partial<AttemptResult>;
      try {
        parsed = JSON.parse(line) as Partial<AttemptResult>;
      } catch {
        throw new BaselineError(`${file} line ${number} is not JSON: pass the results.jsonl an earlier \`npm run eval\` wrote`);
      }
      if (typeof parsed.task !== 'string' || typeof parsed.category !== 'string' || typeof parsed.result !== 'string') {
        throw new BaselineError(`${file} line ${number} is not an eval result (it needs task, category and result)`);
      }
      return { failures: [], tokens: { prompt: 0, completion: 0, cached: 0 }, costUsd: null, turns: 0, toolCalls: 0, mutations: 0, approvals: 0, wallTimeMs: 0, tools: [], answer: '', phases: {}, attempt: 1, model: '', ...parsed } as AttemptResult;
    });
}

const points = (value: number) => `${(value * 100).toFixed(0)}%`;

export function compareWithBaseline(input: { baseline: AttemptResult[]; current: AttemptResult[]; marginPoints: number }): BaselineComparison {
  const before = new Map(categoryScores(input.baseline).map((score) => [score.category, score]));
  const after = categoryScores(input.current);
  const margin = input.marginPoints / 100;
  const regressions: Regression[] = [];
  const lines = [`Compared with the baseline (a drop of more than ${input.marginPoints} points in a category fails):`];
  for (const score of after) {
    const old: CategoryScore | undefined = before.get(score.category);
    if (!old) {
      lines.push(`  ${score.category}: new (pass@1 ${points(score.passAt1)})`);
      continue;
    }
    const metrics: Array<[string, number, number]> = [['pass@1', old.passAt1, score.passAt1]];
    if (old.repeat === score.repeat && score.repeat > 1) metrics.push([`pass^${score.repeat}`, old.passHatN, score.passHatN]);
    for (const [metric, was, now] of metrics) {
      const dropped = was - now > margin + 1e-9;
      if (dropped) regressions.push({ category: score.category, metric, before: was, after: now });
      lines.push(`  ${score.category} ${metric}: ${points(was)} → ${points(now)}${dropped ? '  REGRESSION' : ''}`);
    }
  }
  const missing = [...before.keys()].filter((category) => !after.some((score) => score.category === category));
  for (const category of missing) lines.push(`  ${category}: in the baseline, not in this run`);
  lines.push(regressions.length === 0 ? 'No category regressed.' : `${regressions.length} regression${regressions.length === 1 ? '' : 's'}: ${regressions.map((regression) => `${regression.category} ${regression.metric} ${points(regression.before)} → ${points(regression.after)}`).join('; ')}`);
  return { regressions, missing, text: `${lines.join('\n')}\n` };
}
