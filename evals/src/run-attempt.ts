/**
 * One attempt at one task, each piece real and started for this attempt only: a kube-sim on 127.0.0.1 port 0
 * (or the given kubeconfig), the task's setup with the real kubectl/helm, the MCP server (allowed to read the
 * task's chart folders), llm-sim with the task's script or the real model, the engine with a throw-away account,
 * then the prompt(s) through the same runTurn `skyflo chat` uses, approving every proposed change automatically
 * (recorded as automatic approvals), and finally the verify steps and the transcript checks.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTurn, startEmbeddedEngine, type EmbeddedEngine, type TurnOutcome } from '@skyflo/cli/chat';
import { allTools, startMcpHttpServer, type AnyToolDefinition, type McpHttpServer, type ToolDeps } from '@skyflo/mcp-server';
import type { AgentEvent } from '@skyflo/protocol';
import { startKubeSim, type KubeSim } from '@skyflo/testkit/kube-sim';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import { judgeTranscript, type TranscriptMetrics } from './check-transcript.ts';
import { costOf, type Price } from './prices.ts';
import { runSteps } from './run-steps.ts';
import type { Task } from './task-schema.ts';

export const SIM_MODEL = 'sim';

/** Model calls allowed per attempt, across the runs its approvals start. */
export const MAX_MODEL_CALLS = 40;

export interface AttemptOptions {
  /** `sim` (llm-sim with the task's script) or provider/model */
  model: string;
  /** a shared cluster instead of a kube-sim per attempt */
  kubeconfig?: string;
  /** where the attempt's event log is written */
  outputDir: string;
  price?: Price;
  env: Record<string, string | undefined>;
  /** replaces the task's llm-sim script (tests: a deliberately broken fix) */
  simScript?: string;
  /** replaces the MCP server's tool catalogue (tests: a mis-annotated tool) */
  mcpTools?: AnyToolDefinition<ToolDeps>[];
  /** simulation delays for kube-sim (merged under the task scenario's own settings) */
  kubeSimSettings?: Record<string, number>;
  /** replaces every task's own timeout (a loaded CI machine) */
  timeoutMs?: number;
}

export type AttemptResultKind = 'pass' | 'fail' | 'error' | 'skipped';

export interface AttemptResult {
  task: string;
  category: string;
  attempt: number;
  model: string;
  result: AttemptResultKind;
  failures: string[];
  /** infrastructure problem (setup, engine, simulator) or why the task was skipped */
  error?: string;
  status?: TurnOutcome['status'];
  turns: number;
  toolCalls: number;
  mutations: number;
  approvals: number;
  tokens: { prompt: number; completion: number; cached: number };
  costUsd: number | null;
  wallTimeMs: number;
  tools: string[];
  answer: string;
  conversationId?: string;
  /** the attempt's events, one JSON line each */
  transcript?: string;
  /** ms spent in each phase (cluster, setup, mcp, model, engine, agent, verify) */
  phases: Record<string, number>;
}

/** Short delays: the suite runs in CI in a couple of minutes, and nothing in a task depends on real timing. */
export const fastKubeSimSettings = { startDelayMs: 30, readinessDelayMs: 80, crashBackoffMs: 250, jobDurationMs: 150, terminationDelayMs: 60, logIntervalMs: 500 };

const mutatingByCatalogue = (() => {
  const readOnly = new Map(allTools.map((tool) => [tool.name, tool.annotations?.readOnlyHint === true]));
  return (tool: string) => readOnly.get(tool) !== true;
})();

const emptyMetrics: TranscriptMetrics = { turns: 0, toolCalls: 0, mutations: 0, approvals: 0, tokens: { prompt: 0, completion: 0, cached: 0 }, tools: [], answer: '' };

/** Adds the task's jenkins-sim as the engine's Jenkins integration, through the API an admin uses. */
async function addJenkinsIntegration(engine: EmbeddedEngine, jenkins: JenkinsSim): Promise<void> {
  const response = await fetch(`${engine.url}/api/v1/integrations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${engine.client.session()?.accessToken ?? ''}` },
    body: JSON.stringify({ provider: 'jenkins', name: 'CI', metadata: { api_url: jenkins.url }, credentials: { username: jenkins.user, api_token: jenkins.token } }),
  });
  if (response.status !== 201) throw new Error(`adding the Jenkins integration failed: HTTP ${response.status} ${await response.text()}`);
}

export async function runAttempt(task: Task, attempt: number, options: AttemptOptions): Promise<AttemptResult> {
  const started = Date.now();
  const base = { task: task.id, category: task.spec.category, attempt, model: options.model };
  const finish = (kind: AttemptResultKind, extra: Partial<AttemptResult> & { metrics?: TranscriptMetrics } = {}): AttemptResult => {
    const { metrics = emptyMetrics, ...rest } = extra;
    return {
      ...base,
      result: kind,
      failures: [],
      turns: metrics.turns,
      toolCalls: metrics.toolCalls,
      mutations: metrics.mutations,
      approvals: metrics.approvals,
      tokens: metrics.tokens,
      costUsd: costOf(metrics.tokens, options.price),
      wallTimeMs: Date.now() - started,
      tools: metrics.tools,
      answer: metrics.answer.slice(0, 2_000),
      phases,
      ...rest,
    };
  };
  if (options.kubeconfig && task.spec.cluster.kubeSimOnly) return finish('skipped', { error: "its fault is injected by kube-sim's scenario; it cannot be reproduced on --kubeconfig" });

  const work = await mkdtemp(path.join(tmpdir(), `skyflo-eval-${task.id}-`));
  const controller = new AbortController();
  // every request and step of the attempt listens on this one signal
  setMaxListeners(200, controller.signal);
  const timeoutMs = options.timeoutMs ?? task.spec.timeout;
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const closers: Array<() => Promise<unknown>> = [];
  const events: AgentEvent[] = [];
  const transcript = path.join(options.outputDir, `${task.id}.${attempt}.events.jsonl`);
  const phases: Record<string, number> = {};
  let phase = 'starting the cluster';
  let phaseStarted = Date.now();
  const enter = (next: string, key: string) => {
    phases[key] = Date.now() - phaseStarted;
    phaseStarted = Date.now();
    phase = next;
  };
  try {
    let kubeconfig = options.kubeconfig;
    if (!kubeconfig) {
      kubeconfig = path.join(work, 'kubeconfig');
      const sim: KubeSim = await startKubeSim({
        port: 0,
        kubeconfigPath: kubeconfig,
        settings: { ...fastKubeSimSettings, ...options.kubeSimSettings },
        ...(task.spec.cluster.kubeSim?.scenario ? { scenario: path.join(task.dir, task.spec.cluster.kubeSim.scenario) } : {}),
      });
      closers.push(() => sim.close());
      if (task.spec.cluster.requires.includes('argo-rollouts')) {
        const { installArgoRolloutsCrds } = await import('@skyflo/testkit/kube-sim');
        installArgoRolloutsCrds(sim.cluster);
      }
    }
    const helmHome = path.join(work, 'helm');
    const env: Record<string, string> = {
      PATH: `${path.join(repoRoot, '.tools', 'bin')}${path.delimiter}${options.env['PATH'] ?? ''}`,
      HOME: options.env['HOME'] ?? work,
      KUBECONFIG: kubeconfig,
      KUBECACHEDIR: path.join(work, 'kube-cache'),
      HELM_CACHE_HOME: path.join(helmHome, 'cache'),
      HELM_CONFIG_HOME: path.join(helmHome, 'config'),
      HELM_DATA_HOME: path.join(helmHome, 'data'),
    };
    const stepEnvironment = { taskDir: task.dir, env };
    if (options.kubeconfig && task.spec.cleanup.length > 0) closers.push(() => runSteps(task.spec.cleanup, stepEnvironment, new AbortController().signal, { all: true }));

    enter('running setup', 'cluster');
    const setupFailures = await runSteps(task.spec.setup, stepEnvironment, controller.signal);
    if (setupFailures.length > 0) return finish('error', { error: `setup failed: ${setupFailures[0]}` });

    // The engine's connection to the MCP server is authenticated, as in a deployment: only then is it the gated path
    // (a direct client's changes wait for MCP elicitation) and may it hand over a Jenkins integration's credentials.
    const mcpAuthToken = randomBytes(24).toString('base64url');
    let jenkins: JenkinsSim | undefined;
    if (task.spec.jenkins) {
      jenkins = await startJenkinsSim({ scenario: path.join(task.dir, task.spec.jenkins.scenario), token: randomBytes(12).toString('hex') });
      closers.push(() => jenkins!.close());
    }

    enter('starting the MCP server', 'setup');
    const mcp: McpHttpServer = await startMcpHttpServer({
      port: 0,
      authToken: mcpAuthToken,
      settings: {
        kubeconfigPath: kubeconfig,
        helmChartDirs: (task.spec.helm?.chartDirs ?? []).map((dir) => path.join(task.dir, dir)),
        helmEnv: { HELM_CACHE_HOME: env.HELM_CACHE_HOME!, HELM_CONFIG_HOME: env.HELM_CONFIG_HOME!, HELM_DATA_HOME: env.HELM_DATA_HOME!, KUBECACHEDIR: env.KUBECACHEDIR! },
      },
      ...(options.mcpTools ? { tools: options.mcpTools } : {}),
    });
    closers.push(() => mcp.close());

    enter('starting the model', 'mcp');
    let llmModel = options.model;
    const settings: Record<string, string> = {};
    if (options.model === SIM_MODEL) {
      const script = options.simScript ?? path.join(task.dir, task.spec.simScript);
      const llm: LlmSim = await startLlmSim({ port: 0, script });
      closers.push(() => llm.close());
      llmModel = 'openai-compatible/sim-model';
      Object.assign(settings, { LLM_HOST: llm.url, LLM_RETRY_BASE_DELAY_MS: '10', LLM_MAX_ITERATIONS: '15' });
    }

    enter('starting the engine', 'model');
    settings['MCP_AUTH_TOKEN'] = mcpAuthToken;
    const engine: EmbeddedEngine = await startEmbeddedEngine({ kubeconfigPath: kubeconfig, llmModel, mcpServerUrl: mcp.url, env: options.env, settings });
    closers.push(() => engine.close());
    if (jenkins) await addJenkinsIntegration(engine, jenkins);

    enter('running the agent', 'engine');
    await mkdir(options.outputDir, { recursive: true });
    const log = createWriteStream(transcript);
    closers.push(() => new Promise((resolve) => log.end(resolve)));
    const prompts = Array.isArray(task.spec.prompt) ? task.spec.prompt : [task.spec.prompt];
    let outcome: TurnOutcome | undefined;
    let modelCalls = 0;
    let runaway = false;
    for (const prompt of prompts) {
      const turn = runTurn({
        client: engine.client,
        message: prompt,
        ...(outcome?.conversationId ? { conversationId: outcome.conversationId } : {}),
        signal: controller.signal,
        onEvent: (event) => {
          events.push(event);
          log.write(`${JSON.stringify(event)}\n`);
          // Each approval starts a new run with its own iteration limit, so a looping model is capped here.
          if (event.type === 'generation.start' && ++modelCalls > MAX_MODEL_CALLS) {
            runaway = true;
            void turn.stop();
          }
        },
        // The harness approves like `skyflo chat --approve-all`: each decision is marked automatic for the audit.
        decide: async () => ({ approve: true, automatic: true, reason: 'approved automatically by the eval harness' }),
      });
      const onAbort = () => void turn.stop();
      controller.signal.addEventListener('abort', onAbort, { once: true });
      try {
        outcome = await turn.done;
      } finally {
        controller.signal.removeEventListener('abort', onAbort);
      }
      if (outcome.status !== 'completed') break;
    }

    enter('verifying', 'agent');
    const judgement = judgeTranscript({ events, spec: task.spec, isMutating: mutatingByCatalogue });
    const failures: string[] = [];
    if (runaway) failures.push(`stopped after ${MAX_MODEL_CALLS} model calls: the agent was going round in circles`);
    else if (controller.signal.aborted) failures.push(`timed out after ${timeoutMs / 1000} s`);
    else if (outcome && outcome.status !== 'completed') failures.push(`the run ended ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}`);
    failures.push(...judgement.failures);
    if (!controller.signal.aborted) failures.push(...(await runSteps(task.spec.verify, stepEnvironment, controller.signal, { all: true })));
    phases['verify'] = Date.now() - phaseStarted;
    return finish(failures.length === 0 ? 'pass' : 'fail', {
      failures,
      metrics: judgement.metrics,
      transcript,
      ...(outcome ? { status: outcome.status } : {}),
      ...(outcome?.conversationId ? { conversationId: outcome.conversationId } : {}),
    });
  } catch (error) {
    const metrics = judgeTranscript({ events, spec: task.spec, isMutating: mutatingByCatalogue }).metrics;
    const message = error instanceof Error ? error.message : String(error);
    // A failure while the agent ran (e.g. the engine refused a request) is the agent's; anything before is infrastructure.
    if (phase === 'running the agent' && !controller.signal.aborted) return finish('fail', { failures: [`the agent's run failed: ${message}`], metrics, transcript });
    if (controller.signal.aborted) return finish('fail', { failures: [`timed out after ${timeoutMs / 1000} s while ${phase}`], metrics });
    return finish('error', { error: `${phase}: ${message}`, metrics });
  } finally {
    clearTimeout(timer);
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}
