/**
 * The whole eval suite with llm-sim playing a competent model: every task passes, which proves the harness,
 * the approval gate, the tools and each task's verifier end to end (real kubectl/helm on kube-sim, the real
 * MCP server and engine). Beside it, two attempts that must fail: a wrong fix (the verifier catches it) and a
 * mutation that ran without an approval (the approval assertion catches it, even though the cluster ends up
 * exactly as asked).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allTools, type AnyToolDefinition, type ToolDeps } from '@skyflo/mcp-server';
import { describe, expect, it } from 'vitest';
import { loadTask, loadTasks, prices, runAttempt, runEval, defaultTasksDir } from '../src/index.ts';

const output = () => mkdtempSync(path.join(tmpdir(), 'skyflo-eval-test-'));
/**
 * Every attempt of this file runs in one test process (kube-sims, MCP servers, engines, llm-sims), beside the other
 * test workers, on a shared two-core machine: attempts get a generous limit, which only a hung attempt reaches.
 */
const timeoutMs = 8 * 60_000;
const testTimeout = 20 * 60_000;
const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');

describe.concurrent('eval suite on llm-sim', () => {
  it('passes every task and writes results.jsonl and a Markdown table', async () => {
    const tasks = loadTasks();
    expect(tasks.length).toBeGreaterThanOrEqual(15);
    const outputDir = output();
    const run = await runEval({ tasks, repeat: 1, concurrency: 4, model: 'sim', outputDir, env: process.env, price: prices['sim']!, timeoutMs });

    for (const result of run.results) {
      expect(result.result, `${result.task}: ${[...result.failures, result.error ?? ''].join('; ')}`).toBe('pass');
      expect(result.turns).toBeGreaterThanOrEqual(2);
      expect(result.toolCalls).toBeGreaterThanOrEqual(1);
      expect(result.tokens.prompt).toBeGreaterThan(0);
      expect(result.costUsd).toBe(0);
      // every change the agent made was approved first (here: automatically, as --approve-all does)
      expect(result.approvals).toBe(result.mutations);
    }
    const byTask = Object.fromEntries(run.results.map((result) => [result.task, result]));
    expect(byTask['question-images']!.mutations).toBe(0);
    expect(byTask['helm-rollback']!.tools).toEqual(expect.arrayContaining(['helm_history', 'helm_rollback']));
    expect(byTask['argo-abort-canary']!.tools).toContain('argo_abort_rollout');
    expect(byTask['crashloop-bad-env']!.mutations).toBe(2);
    // the CI task ran against jenkins-sim through the engine's integration, and changed nothing
    expect(byTask['jenkins-failed-build']!.tools).toEqual(expect.arrayContaining(['jenkins_get_build_log', 'jenkins_get_build_changesets']));
    expect(byTask['jenkins-failed-build']!.mutations).toBe(0);

    const lines = readFileSync(run.jsonl, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { task: string; result: string; tokens: unknown });
    expect(lines.map((line) => line.task).sort()).toEqual(tasks.map((task) => task.id).sort());
    const markdown = readFileSync(run.markdown, 'utf8');
    for (const task of tasks) expect(markdown).toMatch(new RegExp(`^\\| ${task.id} \\| ${task.spec.category} \\| 1/1 \\| 100% \\|`, 'm'));
    expect(markdown).toContain('**pass@1 100%**');
    // the per-attempt event log is the transcript a human reads when a task fails
    expect(readFileSync(byTask['scale-checkout']!.transcript!, 'utf8')).toMatch(/"type":"tool.approved".*"tool":"k8s_scale"/);
  }, testTimeout);

  it('fails a task whose fix is wrong, naming the failed check', async () => {
    const task = loadTask(path.join(defaultTasksDir, 'image-typo'));
    const result = await runAttempt(task, 1, { model: 'sim', outputDir: output(), env: process.env, simScript: path.join(fixtures, 'image-typo-wrong-version.yaml'), timeoutMs });
    expect(result.result).toBe('fail');
    expect(result.failures).toEqual([expect.stringMatching(/the frontend runs nginx:1\.27: printed "nginx:1\.26", expected "nginx:1\.27"/)]);
    // the gate was respected: the wrong change was approved like any other
    expect(result.mutations).toBe(1);
    expect(result.approvals).toBe(1);
  }, testTimeout);

  it('fails a task whose mutation ran without an approval, even when the cluster ends up right', async () => {
    // A mis-annotated tool: the MCP server tells the engine k8s_scale is read-only, so the gate lets it run unasked.
    const misannotated = allTools.map((tool) => (tool.name === 'k8s_scale' ? { ...tool, annotations: { ...tool.annotations, readOnlyHint: true } } : tool)) as AnyToolDefinition<ToolDeps>[];
    const task = loadTask(path.join(defaultTasksDir, 'scale-checkout'));
    const result = await runAttempt(task, 1, { model: 'sim', outputDir: output(), env: process.env, mcpTools: misannotated, timeoutMs });
    expect(result.result).toBe('fail');
    // the verifier passed (5 ready replicas); only the approval assertion failed
    expect(result.failures).toEqual([expect.stringMatching(/^mutation without approval: k8s_scale \(call_\w+\) ran without/)]);
    expect(result.mutations).toBe(1);
    expect(result.approvals).toBe(0);
  }, testTimeout);
});
