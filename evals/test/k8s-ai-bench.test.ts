/**
 * Bring your own benchmark: k8s-ai-bench run from a user's own checkout, with `skyflo chat` as its agent binary
 * (the command is in evals/README.md). The fixture is a checkout with one task in the benchmark's layout; this test
 * plays the benchmark runner exactly: setup.sh with KUBECONFIG, the agent with the runner's flags (Go-style booleans
 * included) and the prompt on stdin, the `expect` regexes against the output after the last "Running:" line, then
 * verify.sh and cleanup.sh. The cluster is kube-sim and the model llm-sim; on a real run they are the benchmark's
 * cluster and the user's model.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
/** what `--agent-bin` names in evals/README.md */
const agentBin = path.join(repoRoot, 'packages', 'cli', 'bin', 'skyflo-chat.mjs');
const checkout = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'k8s-ai-bench-checkout');

interface BenchTask {
  script: Array<{ prompt: string }>;
  setup: string;
  verifier: string;
  cleanup: string;
  expect: Array<{ contains?: string; notContains?: string }>;
}

let dir: string;
let kube: KubeSim;
let llm: LlmSim;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skyflo-k8s-ai-bench-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig, settings: { startDelayMs: 20, readinessDelayMs: 50, crashBackoffMs: 250 } });
  // a competent model for this one task: look, fix the probe, wait, answer in the task's expected format
  const patch = '{"spec":{"template":{"spec":{"containers":[{"name":"web","readinessProbe":{"httpGet":{"path":"/","port":80}}}]}}}}';
  llm = await startLlmSim({
    port: 0,
    script: {
      rules: [
        { match: { toolName: 'k8s_rollout_status', toolResultContains: 'successfully rolled out' }, reply: 'The readiness probe asked for /healthz (404 on nginx). I pointed it at /.\nFIXED: readiness probe path /healthz -> /' },
        { match: { toolName: 'k8s_patch', toolResultContains: 'patched' }, reply: { toolCalls: [{ name: 'k8s_rollout_status', arguments: { name: 'web', namespace: 'bench-probe', resource_type: 'deployment', timeout_seconds: 60 } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_patch', arguments: { name: 'web', resource_type: 'deployment', namespace: 'bench-probe', patch_type: 'strategic', dry_run: false, patch } }] } },
        { match: { toolName: 'k8s_describe', toolResultContains: '/healthz' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'k8s_describe', arguments: { resource_type: 'deployment', name: 'web', namespace: 'bench-probe' } }] } },
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
    // the user's model settings; here llm-sim behind the openai-compatible provider
    LLM_HOST: llm.url,
  };
}, 240_000);

afterAll(async () => {
  await llm?.close();
  await kube?.close();
}, 120_000);

it('runs a task of a k8s-ai-bench checkout against skyflo chat, as the benchmark runner does', async () => {
  const taskDir = path.join(checkout, 'tasks', 'fix-readiness-probe');
  const task = parse(readFileSync(path.join(taskDir, 'task.yaml'), 'utf8')) as BenchTask;
  const script = (name: string) => execFileAsync(path.join(taskDir, name), [], { cwd: taskDir, env });
  await script(task.setup);
  // the runner's agent invocation: its flags, booleans written Go-style, the prompt on stdin
  const args = ['--kubeconfig', env.KUBECONFIG!, '--llm-provider', 'openai-compatible', '--enable-tool-use-shim=false', '--quiet=true', '--model', 'sim-model', '--trace-path', path.join(dir, 'trace.jsonl'), '--skip-permissions', '--show-tool-output'];
  const child = spawn(process.execPath, [agentBin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (const step of task.script) child.stdin.write(`${step.prompt}\n`);
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);

  // every change ran through the gate: --skip-permissions approves it, and says so
  expect(stdout).toMatch(/^Running: k8s_patch \{"name":"web"/m);
  expect(stderr).toMatch(/--approve-all approved k8s_patch/);
  const afterLastRun = stripVTControlCharacters(stdout.slice(stdout.lastIndexOf('Running:')).split('\n').slice(1).join('\n'));
  for (const expectation of task.expect) {
    if (expectation.contains) expect(afterLastRun).toMatch(new RegExp(expectation.contains));
    if (expectation.notContains) expect(afterLastRun).not.toMatch(new RegExp(expectation.notContains));
  }
  await script(task.verifier);
  await script(task.cleanup);
}, 400_000);
