/**
 * The agent contract k8s-ai-bench uses, end to end: a task in its layout (task.yaml, setup.sh, verify.sh) run
 * the way its eval.go runs one — setup with KUBECONFIG, the agent binary with exactly the runner's flags and the
 * prompt on stdin, the `expect` regexes matched against the output after the last "Running:" line, then the
 * verifier. `skyflo chat` starts an embedded engine (no --url) against the given kubeconfig, approves under
 * --skip-permissions, and removes its temporary engine when done.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { agentEventSchema } from '@skyflo/protocol';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { kubectlPath, repoRoot } from '@skyflo/testkit/tools';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';


const execFileAsync = promisify(execFile);
/** what k8s-ai-bench's --agent-bin points at: `skyflo chat` as its own executable */
const agentBin = path.join(repoRoot, 'packages', 'cli', 'bin', 'skyflo-chat.mjs');
const taskDir = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'k8s-ai-bench', 'tasks', 'scale-deployment');

interface BenchTask {
  script: Array<{ prompt: string }>;
  setup: string;
  verifier: string;
  cleanup: string;
  expect: Array<{ contains?: string; notContains?: string }>;
}

let dir: string;
let kubeconfig: string;
let kube: KubeSim;
let llm: LlmSim;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-contract-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig, settings: { startDelayMs: 20, readinessDelayMs: 50 } });
  llm = await startLlmSim({
    port: 0,
    script: {
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'scale-test', dry_run: false } }] } },
        { match: { toolName: 'k8s_scale', toolResultContains: 'scaled' }, reply: { toolCalls: [{ name: 'k8s_rollout_status', arguments: { name: 'web', namespace: 'scale-test', resource_type: 'deployment', timeout_seconds: 60 } }] } },
        { match: { toolName: 'k8s_rollout_status', toolResultContains: 'successfully rolled out' }, reply: 'The deployment is scaled and all replicas are ready.\nSCALED: web 3' },
      ],
    },
  });
  const temporary = path.join(dir, 'tmp');
  mkdirSync(temporary);
  env = {
    PATH: `${path.join(repoRoot, '.tools', 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    HOME: dir,
    TMPDIR: temporary,
    KUBECONFIG: kubeconfig,
    KUBECACHEDIR: path.join(dir, 'kube-cache'),
    LLM_HOST: llm.url,
  };
}, 240_000);

afterAll(async () => {
  await llm?.close();
  await kube?.close();
}, 120_000);

/** eval.go's runCommand: the script itself (no shell string), cwd = task dir, KUBECONFIG set. */
async function runScript(name: string): Promise<void> {
  await execFileAsync(path.join(taskDir, name), [], { cwd: taskDir, env });
}

it('runs a k8s-ai-bench task with the runner\'s flags and the prompt on stdin', async () => {
  const task = parse(readFileSync(path.join(taskDir, 'task.yaml'), 'utf8')) as BenchTask;
  await runScript(task.setup);
  const tracePath = path.join(dir, 'trace.yaml');
  // exactly the arguments eval.go's runAgent builds
  const args = [
    '--kubeconfig', kubeconfig,
    '--llm-provider', 'openai-compatible',
    '--enable-tool-use-shim=false',
    '--quiet=true',
    '--model', 'sim-model',
    '--trace-path', tracePath,
    '--skip-permissions',
    '--show-tool-output',
  ];
  // eval.go runs the binary itself with these flags (here through node, as the bin's shebang would)
  const child = spawn(process.execPath, [agentBin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (const step of task.script) child.stdin.write(`${step.prompt}\n`);
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);

  // one Running: line per executed tool call, then the answer
  // the exact (resolved) arguments that ran, as JSON
  const scaleLine = /^Running: k8s_scale (\{.*\})$/m.exec(stdout);
  expect(JSON.parse(scaleLine?.[1] ?? 'null')).toEqual({ name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'scale-test', dry_run: false, context: 'kube-sim' });
  expect(stdout).toMatch(/^Running: k8s_rollout_status /m);
  // --skip-permissions is --approve-all: every approval is printed
  expect(stderr).toMatch(/--approve-all approved k8s_scale \{"name":"web"/);

  // eval.go: expectations apply to the output after the last "Running:" line
  const afterLastRun = stripVTControlCharacters(stdout.slice(stdout.lastIndexOf('Running:')).split('\n').slice(1).join('\n'));
  for (const expectation of task.expect) {
    if (expectation.contains) expect(afterLastRun).toMatch(new RegExp(expectation.contains));
    if (expectation.notContains) expect(afterLastRun).not.toMatch(new RegExp(expectation.notContains));
  }
  await runScript(task.verifier);
  expect(await execFileAsync(kubectlPath, ['get', 'deployment', 'web', '-n', 'scale-test', '-o', 'jsonpath={.spec.replicas}'], { env }).then((result) => result.stdout)).toBe('3');

  // --trace-path: the validated event stream, one JSON line per event
  const trace = readFileSync(tracePath, 'utf8').trim().split('\n').map((line) => agentEventSchema.parse(JSON.parse(line)));
  expect(trace.map((event) => event.type)).toEqual(expect.arrayContaining(['tool.awaiting_approval', 'tool.approved', 'tool.executing', 'tool.result', 'completed']));
  expect(trace.at(-1)).toMatchObject({ type: 'completed', status: 'completed' });
  // the embedded engine (its PGlite data dir and throw-away account) is gone
  expect(readdirSync(env.TMPDIR!).filter((name) => name.startsWith('skyflo-embedded-'))).toEqual([]);
  await runScript(task.cleanup);
}, 400_000);

it('says which model settings are missing instead of starting an engine that cannot answer', async () => {
  const child = spawn(process.execPath, [agentBin, '--kubeconfig', kubeconfig, '--quiet'], { env: { ...env, LLM_HOST: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end('Which pods are running?\n');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(1);
  expect(stderr).toMatch(/No usable model for the embedded engine: .*--llm-provider and --model/);
  expect(readdirSync(env.TMPDIR!).filter((name) => name.startsWith('skyflo-embedded-'))).toEqual([]);
}, 300_000);
