/**
 * Runs tasks × repeats with bounded concurrency (each attempt has its own kube-sim, MCP server, model and engine,
 * so attempts on kube-sim never share state; on a shared --kubeconfig they run one at a time), writes
 * results.jsonl as attempts finish, and results.md at the end.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAttempt, type AttemptOptions, type AttemptResult } from './run-attempt.ts';
import { markdownReport } from './report.ts';
import type { Task } from './task-schema.ts';

export interface EvalOptions extends Omit<AttemptOptions, 'simScript'> {
  tasks: Task[];
  repeat: number;
  concurrency: number;
  /** per-task llm-sim script replacements (tests) */
  simScripts?: Record<string, string>;
  onResult?: (result: AttemptResult) => void;
}

export interface EvalRun {
  results: AttemptResult[];
  jsonl: string;
  markdown: string;
  report: string;
}

export async function runEval(options: EvalOptions): Promise<EvalRun> {
  const startedAt = new Date().toISOString();
  mkdirSync(options.outputDir, { recursive: true });
  const jsonl = path.join(options.outputDir, 'results.jsonl');
  writeFileSync(jsonl, '');
  const queue = options.tasks.flatMap((task) => Array.from({ length: options.repeat }, (_, index) => ({ task, attempt: index + 1 })));
  const results: AttemptResult[] = [];
  const concurrency = options.kubeconfig ? 1 : Math.max(1, options.concurrency);
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const simScript = options.simScripts?.[item.task.id];
      const result = await runAttempt(item.task, item.attempt, { ...options, ...(simScript ? { simScript } : {}) });
      results.push(result);
      appendFileSync(jsonl, `${JSON.stringify(result)}\n`);
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  results.sort((a, b) => a.task.localeCompare(b.task) || a.attempt - b.attempt);
  const report = markdownReport({ model: options.model, repeat: options.repeat, results, startedAt, cluster: options.kubeconfig ?? 'kube-sim (one per attempt)' });
  const markdown = path.join(options.outputDir, 'results.md');
  writeFileSync(markdown, report);
  return { results, jsonl, markdown, report };
}
