/**
 * `npm run eval -- --model <provider/model | sim> [--tasks id,id…] [--repeat N] [--kubeconfig FILE] …`
 * Scores the agent on the tasks in evals/tasks (see evals/README.md) and writes results.jsonl and results.md.
 * Exit status: 0 when every attempt passed, 1 when any failed or hit an infrastructure error, 2 for bad options.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadTasks, TaskError } from './load-tasks.ts';
import type { ModelPrice } from '@skyflo/protocol';
import { parsePrice, priceOf, pricesAsOf } from './prices.ts';
import { SIM_MODEL, type AttemptResult } from './run-attempt.ts';
import { runEval } from './run-eval.ts';
import { BaselineError, compareWithBaseline, readResults } from './baseline.ts';
import { scorecardHtml, scorecardMarkdown } from './scorecard.ts';
import type { AttemptResult as Result } from './run-attempt.ts';

export const evalUsage = `Usage: npm run eval -- --model <provider/model | sim> [options]

Runs the agent on the tasks in evals/tasks and scores it.

  --model <m>          provider/model as for LLM_MODEL (e.g. openai/gpt-4o with OPENAI_API_KEY), or "sim":
                       llm-sim plays a competent model from each task's llm-sim.yaml (what CI runs)
  --tasks <ids>        comma-separated task ids (a trailing * matches a prefix); default: all
  --repeat <n>         attempts per task, for pass@k (default 1)
  --kubeconfig <file>  run against this cluster instead of a kube-sim per attempt (attempts then run one at a
                       time; tasks whose fault only kube-sim can inject are skipped)
  --concurrency <n>    attempts at once on kube-sim (default 4)
  --output <dir>       where results.jsonl, results.md and the event logs go (default evals/results/<time>-<model>)
  --timeout <d>        replaces every task's own time limit, e.g. 10m (slow models, a loaded machine)
  --price <in,out[,cached]>  USD per million tokens for the cost column (default: a built-in table, ${pricesAsOf})
  --tasks-dir <dir>    another folder of tasks in the same format
  --scorecard <file>   also write the trust scorecard: FILE.md (Markdown) or FILE.html (with a chart per category)
  --baseline <jsonl>   compare with an earlier run's results.jsonl; exit 3 when a category's pass@1 (or pass^N)
                       drops by more than --margin points
  --margin <points>    allowed drop per category for --baseline (default 5)
  -h, --help

Exit status: 0 every attempt passed; 1 an attempt failed or errored; 2 bad options; 3 a category regressed
against --baseline (checked before 1).
`;

/** Skyflo's version for the scorecard: the CLI package's version and, in a git checkout, the commit. */
export function skyfloVersion(): string {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  const version = (JSON.parse(readFileSync(path.join(root, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return commit ? `${version} (${commit})` : version;
  } catch {
    return version;
  }
}

/** Writes the scorecard in the format its extension names. */
export function writeScorecard(file: string, input: { model: string; results: Result[]; date?: string; skyfloVersion?: string }): void {
  const card = { model: input.model, results: input.results, date: input.date ?? new Date().toISOString().slice(0, 10), skyfloVersion: input.skyfloVersion ?? skyfloVersion() };
  writeFileSync(file, file.endsWith('.html') ? scorecardHtml(card) : scorecardMarkdown(card));
}

function fail(message: string): never {
  process.stderr.write(`eval: ${message}\n\n${evalUsage}`);
  process.exit(2);
}

function line(result: AttemptResult): string {
  const mark = result.result === 'pass' ? '✓' : result.result === 'skipped' ? '-' : '✗';
  const tokens = result.tokens.prompt + result.tokens.completion;
  const cost = result.costUsd === null ? '' : `, $${result.costUsd.toFixed(4)}`;
  const detail = result.result === 'pass' ? '' : `\n    ${[...result.failures, ...(result.error ? [result.error] : [])].join('\n    ')}`;
  return `${mark} ${result.task} #${result.attempt} ${result.result}: ${result.turns} turns, ${result.toolCalls} tool calls, ${tokens} tokens${cost}, ${(result.wallTimeMs / 1000).toFixed(1)} s${detail}\n`;
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        model: { type: 'string' },
        tasks: { type: 'string' },
        repeat: { type: 'string' },
        kubeconfig: { type: 'string' },
        concurrency: { type: 'string' },
        output: { type: 'string' },
        price: { type: 'string' },
        timeout: { type: 'string' },
        'tasks-dir': { type: 'string' },
        scorecard: { type: 'string' },
        baseline: { type: 'string' },
        margin: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(evalUsage);
    return 0;
  }
  const model = values.model?.trim();
  if (!model) fail('--model is required (e.g. --model openai/gpt-4o, or --model sim for the scripted model)');
  if (model !== SIM_MODEL && !/^[A-Za-z0-9][\w-]*\/\S+$/.test(model)) fail(`--model must be "provider/model" (e.g. openai/gpt-4o) or "sim", got "${model}"`);
  const positive = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < 1) fail(`--${name} must be a whole number of at least 1, got "${text}"`);
    return Number(text);
  };
  const repeat = positive('repeat', values.repeat, 1);
  const concurrency = positive('concurrency', values.concurrency, 4);
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const match = /^(\d+)(s|m)$/.exec(values.timeout);
    if (!match || Number(match[1]) < 1) fail(`--timeout must be a duration such as 90s or 10m, got "${values.timeout}"`);
    timeoutMs = Number(match[1]) * (match[2] === 'm' ? 60_000 : 1000);
  }
  if (values.kubeconfig && !existsSync(values.kubeconfig)) fail(`--kubeconfig ${values.kubeconfig} does not exist`);
  if (values.scorecard !== undefined && !/\.(md|html)$/.test(values.scorecard)) fail(`--scorecard must name a .md or .html file, got "${values.scorecard}"`);
  if (values.margin !== undefined && !/^\d+(\.\d+)?$/.test(values.margin)) fail(`--margin must be a number of percentage points such as 5, got "${values.margin}"`);
  const marginPoints = values.margin === undefined ? 5 : Number(values.margin);
  let baseline: Result[] | undefined;
  if (values.baseline !== undefined) {
    try {
      baseline = readResults(values.baseline);
    } catch (error) {
      if (error instanceof BaselineError) fail(error.message);
      throw error;
    }
  }
  let price: ModelPrice | undefined = priceOf(model);
  if (values.price) {
    try {
      price = parsePrice(values.price);
    } catch (error) {
      fail((error as Error).message);
    }
  }
  let tasks;
  try {
    tasks = loadTasks({ ...(values['tasks-dir'] ? { tasksDir: path.resolve(values['tasks-dir']) } : {}), ...(values.tasks ? { select: values.tasks.split(',').map((id) => id.trim()).filter(Boolean) } : {}) });
  } catch (error) {
    if (error instanceof TaskError) fail(error.message);
    throw error;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outputDir = path.resolve(values.output ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'results', `${stamp}-${model.replace(/[^\w.-]+/g, '_')}`));
  process.stdout.write(`Scoring ${model} on ${tasks.length} task${tasks.length === 1 ? '' : 's'} × ${repeat} (${values.kubeconfig ? `cluster ${values.kubeconfig}` : 'a kube-sim per attempt'})${price ? '' : '; no price known for this model (pass --price for a cost column)'}\n`);
  const run = await runEval({
    tasks,
    repeat,
    concurrency,
    model,
    outputDir,
    env: process.env,
    ...(values.kubeconfig ? { kubeconfig: path.resolve(values.kubeconfig) } : {}),
    ...(price ? { price } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    onResult: (result) => process.stdout.write(line(result)),
  });
  process.stdout.write(`\n${run.report}\nResults: ${run.jsonl}\n         ${run.markdown}\n`);
  if (values.scorecard) {
    writeScorecard(path.resolve(values.scorecard), { model, results: run.results });
    process.stdout.write(`Scorecard: ${path.resolve(values.scorecard)}\n`);
  }
  if (baseline) {
    const comparison = compareWithBaseline({ baseline, current: run.results, marginPoints });
    process.stdout.write(`\n${comparison.text}`);
    if (comparison.regressions.length > 0) return 3;
  }
  return run.results.every((result) => result.result === 'pass' || result.result === 'skipped') ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main(process.argv.slice(2));
}
