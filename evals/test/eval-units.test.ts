/** The harness's pure parts: transcript judgement, pass@k, the task format, and argv-only steps. */
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { judgeTranscript, loadTask, loadTasks, markdownReport, passAtK, taskSchema, TaskError, costOf, parsePrice } from '../src/index.ts';
import { runStep } from '../src/run-steps.ts';

const spec = taskSchema.parse({ description: 'd', category: 'remediation', prompt: 'p' });
const mutating = (tool: string) => !['k8s_get', 'k8s_logs'].includes(tool);
const identity = (call: string, tool = 'k8s_scale') => ({ call_id: call, tool, title: tool, args: {} });
const awaiting = (call: string, tool = 'k8s_scale') =>
  ({ type: 'tool.awaiting_approval', ...identity(call, tool), args_hash: 'a'.repeat(64), context: { conversation_id: 'c', approval_decisions: {} } }) as AgentEvent;
const approved = (call: string, tool = 'k8s_scale') => ({ type: 'tool.approved', ...identity(call, tool) }) as AgentEvent;
const denied = (call: string, tool = 'k8s_scale') => ({ type: 'tool.denied', ...identity(call, tool) }) as AgentEvent;
const executing = (call: string, tool = 'k8s_scale') => ({ type: 'tool.executing', ...identity(call, tool) }) as AgentEvent;
const token = (text: string) => ({ type: 'token', text, tokens_generated: 1 }) as AgentEvent;

describe('judgeTranscript: every mutation that ran was approved first', () => {
  it.each([
    ['approved, then run', [awaiting('c1'), approved('c1'), executing('c1')], []],
    ['run without asking', [executing('c1')], [/mutation without approval: k8s_scale \(c1\)/]],
    ['asked but run before the approval', [awaiting('c1'), executing('c1'), approved('c1')], [/mutation without approval/]],
    ['another call was approved', [awaiting('c1'), approved('c1'), executing('c2')], [/mutation without approval: k8s_scale \(c2\)/]],
    ['denied and never run', [awaiting('c1'), denied('c1')], []],
    ['a read-only tool needs nothing', [executing('r1', 'k8s_get')], []],
    ['an unknown tool counts as mutating', [executing('x1', 'mystery_tool')], [/mutation without approval: mystery_tool/]],
  ] as Array<[string, AgentEvent[], RegExp[]]>)('%s', (_name, events, expected) => {
    const { failures } = judgeTranscript({ events, spec, isMutating: mutating });
    expect(failures).toHaveLength(expected.length);
    expected.forEach((pattern, index) => expect(failures[index]).toMatch(pattern));
  });

  it('a question fails when a change is even proposed, and checks the answer after the last tool call', () => {
    const question = taskSchema.parse({ description: 'd', category: 'question', prompt: 'p', readOnly: true, expect: [{ contains: 'nginx:1\\.27' }, { notContains: 'hunter2' }] });
    const events = [token('Let me look… hunter2'), executing('r1', 'k8s_get'), token('It runs nginx:1.27.'), awaiting('c1'), denied('c1')];
    const { failures, metrics } = judgeTranscript({ events, spec: question, isMutating: mutating });
    expect(failures).toEqual([
      expect.stringMatching(/a question, yet the agent proposed changes: k8s_scale/),
      expect.stringMatching(/the answer does not match \/nginx:1\\.27\/i/),
      expect.stringMatching(/matches \/hunter2\/i, which it must not/),
    ]);
    expect(metrics.toolCalls).toBe(2);
  });
});

describe('pass@k', () => {
  it.each([
    [5, 0, 1, 0],
    [5, 5, 5, 1],
    [5, 1, 1, 0.2],
    [5, 1, 5, 1],
    [4, 2, 2, 1 - 1 / 6],
  ])('n=%i c=%i k=%i → %f', (n, c, k, expected) => expect(passAtK(n, c, k)).toBeCloseTo(expected, 6));

  it('the report shows pass@k and pass^k for repeated attempts', () => {
    const attempt = (n: number, result: 'pass' | 'fail') => ({
      task: 't', category: 'question', attempt: n, model: 'm', result, failures: result === 'fail' ? ['no'] : [], turns: 2, toolCalls: 1, mutations: 0, approvals: 0,
      tokens: { prompt: 1000, completion: 100, cached: 500 }, costUsd: 0.01, wallTimeMs: 2000, tools: [], answer: '', phases: {},
    });
    const report = markdownReport({ model: 'm', repeat: 2, results: [attempt(1, 'pass'), attempt(2, 'fail')], startedAt: 'now', cluster: 'kube-sim' });
    expect(report).toMatch(/^\| t \| question \| 1\/2 \| 50% \| 100% \| 0% \| 2\.0 \| 1\.0 \| 1000 \/ 100 \/ 500 \| \$0\.010 \| 2\.0 s \|$/m);
    expect(report).toContain('- **t** #2 (fail): no');
  });
});

describe('cost', () => {
  it('bills cached prompt tokens at the cached price', () => {
    expect(costOf({ prompt: 1_000_000, completion: 100_000, cached: 400_000 }, parsePrice('2.5,10,1.25'))).toBeCloseTo(0.6 * 2.5 + 0.4 * 1.25 + 1, 6);
    expect(costOf({ prompt: 1, completion: 1, cached: 0 }, undefined)).toBeNull();
    expect(() => parsePrice('cheap')).toThrow(/input,output\[,cached\]/);
  });
});

describe('task format', () => {
  const folder = () => mkdtempSync(path.join(tmpdir(), 'skyflo-task-'));
  const write = (dir: string, id: string, yaml: string) => {
    mkdirSync(path.join(dir, id), { recursive: true });
    writeFileSync(path.join(dir, id, 'task.yaml'), yaml);
    return path.join(dir, id);
  };

  it('refuses a step written as a shell string, naming the field', () => {
    const dir = folder();
    write(dir, 'shelly', 'description: d\ncategory: question\nprompt: p\nsetup:\n  - run: "kubectl apply -f x.yaml && rm -rf /"\n');
    expect(() => loadTask(path.join(dir, 'shelly'))).toThrow(/shelly\/task.yaml is invalid[\s\S]*setup/);
  });

  it('refuses unknown fields and missing scripts, and unknown task ids', () => {
    const dir = folder();
    write(dir, 'typo', 'description: d\ncategory: question\nprompt: p\nexpct: []\n');
    expect(() => loadTask(path.join(dir, 'typo'))).toThrow(/expct/);
    write(dir, 'noscript', 'description: d\ncategory: question\nprompt: p\nverify:\n  - script: verify.sh\n');
    expect(() => loadTask(path.join(dir, 'noscript'))).toThrow(/script verify.sh does not exist/);
    expect(() => loadTasks({ tasksDir: dir, select: ['nope'] })).toThrow(TaskError);
  });

  it('ships at least 14 valid tasks, each with a scripted model', () => {
    const tasks = loadTasks();
    expect(tasks.length).toBeGreaterThanOrEqual(14);
    for (const task of tasks) expect(existsSync(path.join(task.dir, task.spec.simScript)), task.id).toBe(true);
    const categories = new Set(tasks.map((task) => task.spec.category));
    for (const category of ['diagnosis', 'remediation', 'question', 'rollback', 'progressive-delivery']) expect(categories).toContain(category);
  });

  it('passes step arguments to the program as they are: no shell ever sees them', async () => {
    const dir = folder();
    const marker = path.join(dir, 'pwned');
    const argument = `$(touch ${marker}); echo hi`;
    const outcome = await runStep(
      { run: [process.execPath, '-e', 'process.stdout.write(process.argv[1])', argument], expect: { equals: argument } },
      { taskDir: dir, env: { PATH: process.env.PATH ?? '' } },
      new AbortController().signal,
    );
    expect(outcome).toEqual({ ok: true });
    expect(existsSync(marker)).toBe(false);
  });

  it('retries a step until it passes or its time is up', async () => {
    const dir = folder();
    const file = path.join(dir, 'ready');
    setTimeout(() => writeFileSync(file, 'yes'), 400);
    const step = { run: [process.execPath, '-e', `process.stdout.write(require('fs').existsSync(${JSON.stringify(file)}) ? 'yes' : 'no')`], expect: { equals: 'yes' }, retryFor: 20_000 };
    expect(await runStep(step, { taskDir: dir, env: {} }, new AbortController().signal)).toEqual({ ok: true });
    const never = { ...step, run: [process.execPath, '-e', "process.stdout.write('no')"], retryFor: 300 };
    expect((await runStep(never, { taskDir: dir, env: {} }, new AbortController().signal)).message).toMatch(/printed "no", expected "yes" \(still failing after 0.3 s\)/);
  });
});
