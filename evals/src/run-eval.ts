/**
 * Runs tasks × repeats with bounded concurrency (each attempt has its own kube-sim, MCP server, model and engine,
 * so attempts on kube-sim never share state; on a shared --kubeconfig they run one at a time), writes
 * results.jsonl as attempts finish, and results.md at the end.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAttempt, SIM_MODEL, type AttemptOptions, type AttemptResult } from './run-attempt.ts';
import { laneCompatible, startLane, type Lane } from './lane.ts';
import { markdownReport } from './report.ts';
import type { Task } from './task-schema.ts';

export interface EvalOptions extends Omit<AttemptOptions, 'simScript'> {
  tasks: Task[];
  repeat: number;
  concurrency: number;
  /** per-task llm-sim script replacements (tests) */
  simScripts?: Record<string, string>;
  onResult?: (result: AttemptResult) => void;
  /**
   * Each worker keeps one engine, MCP server and model for the tasks that allow it (default on kube-sim): engine
   * start-up dominates an attempt, and CI runs every task. `false` gives every attempt its own.
   */
  shareEngines?: boolean;
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
  // A replaced catalogue or the test-only gate switch changes the MCP server itself: those never share one.
  const share = (options.shareEngines ?? true) && !options.kubeconfig && !options.mcpTools && !options.testOnlyDisableGate;
  const chartDirs = [...new Set(options.tasks.flatMap((task) => (task.spec.helm?.chartDirs ?? []).map((dir) => path.join(task.dir, dir))))];
  const lanes: Lane[] = [];
  const worker = async () => {
    let lane: Lane | undefined;
    for (let item = queue.shift(); item; item = queue.shift()) {
      const simScript = options.simScripts?.[item.task.id];
      if (share && !lane && laneCompatible(item.task)) {
        lane = await startLane({ model: options.model, llmModel: options.model === SIM_MODEL ? 'openai-compatible/sim-model' : options.model, env: options.env, chartDirs, simModel: options.model === SIM_MODEL }).catch(() => undefined);
        if (lane) lanes.push(lane);
      }
      const useLane = lane && laneCompatible(item.task) ? { lane } : {};
      const result = await runAttempt(item.task, item.attempt, { ...options, ...(simScript ? { simScript } : {}), ...useLane });
      results.push(result);
      appendFileSync(jsonl, `${JSON.stringify(result)}\n`);
      options.onResult?.(result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  } finally {
    await Promise.all(lanes.map((lane) => lane.close()));
  }
  results.sort((a, b) => a.task.localeCompare(b.task) || a.attempt - b.attempt);
  const report = markdownReport({ model: options.model, repeat: options.repeat, results, startedAt, cluster: options.kubeconfig ?? 'kube-sim (one per attempt)' });
  const markdown = path.join(options.outputDir, 'results.md');
  writeFileSync(markdown, report);
  return { results, jsonl, markdown, report };
}
