/**
 * A lane: the long-lived half of an attempt, shared by the attempts one worker runs one after another — the engine
 * (the slow part to start: PGlite, migrations, LangGraph), the MCP server and llm-sim. Each attempt still gets its
 * own kube-sim (the task's scenario, faults and nodes) and jenkins-sim; the lane reaches them through loopback TCP
 * relays whose target is switched between attempts, so the engine and the MCP server keep one address for the
 * cluster and one for Jenkins. Nothing of a task survives into the next one: its cluster is thrown away, the
 * kubectl/helm caches are emptied, the conversation is new and llm-sim's log and script are reset.
 *
 * Tasks that change how the MCP server itself runs (read-only mode, a replaced catalogue) or need the Argo Rollouts
 * CRDs discovered afresh are not run in a lane (see `laneCompatible`).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedEngine, type EmbeddedEngine } from '@skyflo/cli/chat';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import type { Task } from './task-schema.ts';

/** A loopback TCP relay whose upstream port can be switched; switching closes every relayed connection. */
export interface TcpRelay {
  port: number;
  url: string;
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startTcpRelay(): Promise<TcpRelay> {
  let target: number | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (target === undefined) return client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    retarget(next) {
      target = next;
      // a keep-alive connection to the previous attempt's simulator must not carry a request to the new one
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface Lane {
  /** kubeconfig the engine and MCP server use: the cluster relay */
  kubeconfig: string;
  cluster: TcpRelay;
  jenkins: TcpRelay;
  /** the Jenkins user and token every jenkins-sim of this lane is started with */
  jenkinsUser: string;
  jenkinsToken: string;
  /** set once the engine has the lane's Jenkins integration */
  jenkinsAdded: boolean;
  mcp: McpHttpServer;
  engine: EmbeddedEngine;
  llm?: LlmSim;
  /** kubectl's and helm's caches for the MCP server: emptied before each attempt */
  caches: string[];
  /** empties the caches so no discovery or chart from a previous attempt's cluster is used */
  resetCaches(): void;
  close(): Promise<void>;
}

/** Whether a task may run in a shared lane (otherwise it gets its own engine, MCP server and model). */
export function laneCompatible(task: Task): boolean {
  // observability tasks: the data sources point at the attempt's own kube-sim listener, added to a fresh engine
  return !task.spec.mcp?.readOnly && !task.spec.cluster.requires.includes('argo-rollouts') && !task.spec.observability;
}

/** Plain HTTP as kube-sim's own kubeconfig (kubectl sends no credentials over HTTP; kube-sim treats it as admin). */
function relayKubeconfig(url: string): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: kube-sim
    cluster: {server: "${url}", insecure-skip-tls-verify: true}
users:
  - name: admin
    user: {}
contexts:
  - name: kube-sim
    context: {cluster: kube-sim, user: admin, namespace: default}
current-context: kube-sim
`;
}

export async function startLane(input: { model: string; llmModel: string; env: Record<string, string | undefined>; chartDirs: string[]; simModel: boolean }): Promise<Lane> {
  const work = await mkdtemp(path.join(tmpdir(), 'skyflo-eval-lane-'));
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    const cluster = await startTcpRelay();
    closers.push(() => cluster.close());
    const jenkins = await startTcpRelay();
    closers.push(() => jenkins.close());
    const kubeconfig = path.join(work, 'kubeconfig');
    writeFileSync(kubeconfig, relayKubeconfig(cluster.url));
    // Until the first attempt retargets it, the relay leads to an empty kube-sim: the MCP server and the engine
    // check the cluster as they start, and a relay that leads nowhere costs the first attempt their retry delays.
    const idleCluster = await startKubeSim({ port: 0 });
    closers.push(() => idleCluster.close());
    cluster.retarget(idleCluster.port);
    const helmHome = path.join(work, 'helm');
    const caches = [path.join(work, 'kube-cache'), path.join(helmHome, 'cache')];
    const resetCaches = () => {
      for (const dir of caches) {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
      }
    };
    resetCaches();
    const mcpAuthToken = randomBytes(24).toString('base64url');
    const mcp = await startMcpHttpServer({
      port: 0,
      authToken: mcpAuthToken,
      settings: {
        kubeconfigPath: kubeconfig,
        helmChartDirs: input.chartDirs,
        helmEnv: { HELM_CACHE_HOME: caches[1]!, HELM_CONFIG_HOME: path.join(helmHome, 'config'), HELM_DATA_HOME: path.join(helmHome, 'data'), KUBECACHEDIR: caches[0]! },
      },
    });
    closers.push(() => mcp.close());
    // One lane engine runs attempt after attempt as one user, and some tasks open several conversations: the
    // per-user quota that guards people (30 a minute) would refuse a fast worker's next task (CI saw a 429 once the
    // suite got faster). A quota the caller set on purpose is kept.
    const settings: Record<string, string> = { MCP_AUTH_TOKEN: mcpAuthToken, CONVERSATIONS_PER_MINUTE: input.env['CONVERSATIONS_PER_MINUTE'] ?? '600' };
    let llm: LlmSim | undefined;
    if (input.simModel) {
      llm = await startLlmSim({ port: 0, script: { rules: [] } });
      const started = llm;
      closers.push(() => started.close());
      Object.assign(settings, { LLM_HOST: llm.url, LLM_RETRY_BASE_DELAY_MS: '10', LLM_MAX_ITERATIONS: '15' });
    }
    const engine = await startEmbeddedEngine({ kubeconfigPath: kubeconfig, llmModel: input.llmModel, mcpServerUrl: mcp.url, env: input.env, settings });
    closers.push(() => engine.close());
    return { kubeconfig, cluster, jenkins, jenkinsUser: 'admin', jenkinsToken: randomBytes(12).toString('hex'), jenkinsAdded: false, mcp, engine, ...(llm ? { llm } : {}), caches, resetCaches, close };
  } catch (error) {
    await close();
    throw error;
  }
}
