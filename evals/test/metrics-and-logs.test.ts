/**
 * The metrics-and-logs category alone (issue 36): incidents whose cause shows only in kube-sim's generated series (a
 * slower rollout, a memory leak, a failing canary, a noisy neighbour; every pod Running and Ready), or only in the
 * pods' logs through Loki (issue 78: an upstream timeout, a rejected config, an expired certificate, an exhausted
 * pool, and a failed job whose pod is already gone). Each attempt's
 * kube-sim serves its Prometheus and Loki APIs behind a bearer token, added to the engine as data sources as
 * `skyflo sandbox` does, so the engine offers the observability tools. With the competent script every task passes
 * (the tool was called, its result held the finding, the answer states it, the cluster is unchanged); with a model
 * that does nothing every task fails. Run with `npx vitest run evals/test/metrics-and-logs.test.ts`.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { categoryScores, loadTasks, priceOf, runEval } from '../src/index.ts';

const output = () => mkdtempSync(path.join(tmpdir(), 'skyflo-eval-obs-'));
// generous: this file's attempts share a two-core machine with other test workers; only a hung attempt reaches it
const timeoutMs = 6 * 60_000;
const testTimeout = 30 * 60_000;
const evalEnv = { ...process.env, VERIFY_HOLD_SECONDS: '1' };
const observabilityTools = ['prometheus_query', 'prometheus_query_range', 'prometheus_alerts', 'prometheus_series', 'loki_query_range'];

describe.concurrent('metrics-and-logs tasks on llm-sim', () => {
  it('passes every task: the scripted model queries the metrics and states the finding', async () => {
    const started = Date.now();
    const tasks = loadTasks({ select: ['obs-*'] });
    expect(tasks.length).toBeGreaterThanOrEqual(15);
    expect(new Set(tasks.map((task) => task.spec.category))).toEqual(new Set(['metrics-and-logs']));
    const run = await runEval({ tasks, repeat: 1, concurrency: 3, model: 'sim', outputDir: output(), env: evalEnv, price: priceOf('sim')!, timeoutMs });
    console.info(`metrics-and-logs: ${tasks.length} tasks in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (const result of run.results) {
      expect(result.result, `${result.task}: ${[...result.failures, result.error ?? ''].join('; ')}`).toBe('pass');
      expect(result.tools.some((tool) => observabilityTools.includes(tool)), result.task).toBe(true);
      expect(result.mutations).toBe(0);
    }
    const byTask = Object.fromEntries(run.results.map((result) => [result.task, result]));
    // the findings, as the answer states them after the tool showed them
    expect(byTask['obs-latency-after-rollout']!.answer).toMatch(/p99 of about 3\.56 s/);
    expect(byTask['obs-memory-leak-sidecar']!.answer).toMatch(/`cache` container/);
    expect(byTask['obs-canary-error-rate']!.answer).toMatch(/web-canary.*25%/);
    expect(byTask['obs-noisy-neighbour-encoder']!.answer).toMatch(/worker-a.*video-encoder/s);
    // issue 78: tasks that need the logs (Loki), one of them about a pod already deleted
    expect(tasks.filter((task) => task.spec.tools.used.includes('loki_query_range')).length).toBeGreaterThanOrEqual(5);
    expect(byTask['obs-logs-deleted-pod']!.tools).toContain('loki_query_range');
    expect(byTask['obs-logs-deleted-pod']!.answer).toMatch(/AccessDenied.*s3:PutObject/s);
    expect(categoryScores(run.results).find((score) => score.category === 'metrics-and-logs')!.passAt1).toBe(1);
  }, testTimeout);

  it('fails every task with a model that does nothing: no tool call, a canned reply', async () => {
    const started = Date.now();
    const tasksDir = path.join(output(), 'tasks');
    const original = loadTasks({ select: ['obs-*'] });
    for (const task of original) {
      cpSync(task.dir, path.join(tasksDir, task.id), { recursive: true });
      writeFileSync(path.join(tasksDir, task.id, task.spec.simScript), 'rules:\n  - match: {lastRole: user}\n    reply: "Everything looks fine: all pods are Running and Ready."\n');
    }
    const tasks = loadTasks({ tasksDir });
    const run = await runEval({ tasks, repeat: 1, concurrency: 3, model: 'sim', outputDir: output(), env: evalEnv, timeoutMs });
    console.info(`metrics-and-logs with a do-nothing model: ${tasks.length} tasks in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(run.results).toHaveLength(original.length);
    for (const result of run.results) {
      expect(result.result, `${result.task} passed with a model that does nothing: ${result.error ?? ''}`).toBe('fail');
      expect(result.toolCalls).toBe(0);
      expect(result.failures, result.task).toEqual(expect.arrayContaining([expect.stringMatching(/^expected a call to (prometheus|loki)_\w+; the agent called no tools$/), expect.stringMatching(/^the answer does not match /)]));
    }
    expect(categoryScores(run.results).find((score) => score.category === 'metrics-and-logs')!.passAt1).toBe(0);
  }, testTimeout);
});
