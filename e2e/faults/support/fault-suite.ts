/**
 * The fault suite's harness (issue 32, extended by issue 75): three `skyflo serve` replicas on a Postgres and a Redis
 * of their own, kube-sim as the cluster reached through a relay (which can hold the API server's answers back), the
 * MCP server as a process of its own (which a fault can kill), the scripted model, and users who ask on one replica,
 * approve on another and re-attach on a third when a stream breaks. `runFault` injects one fault at a chosen point of
 * the runs and judges, from the outside, what every record says against kube-sim's write log (fault-checks.ts). The
 * engines are started once and shared by every fault of the suite.
 *
 * The suite's database lives in a tablespace on a small tmpfs of its own, so a fault can fill the database server's
 * disk as a real one fills (writes that need a new page are refused with disk_full), without touching anything else.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startThrowawayPostgres, startThrowawayRedis, type ThrowawayPostgres, type ThrowawayRedis } from '@skyflo/testkit/services';
import { startTcpRelay, type TcpRelay } from '@skyflo/testkit/tcp-relay';
import { kubectlPath } from '@skyflo/testkit/tools';
import pg from 'pg';
import { expect, vi } from 'vitest';
import { judgeFlow, readAudit, readCard, settledStatuses, verifyAudit, writesOf, type FlowVerdict } from './fault-checks.ts';
import { startMcpProcess, type McpProcess } from './mcp-process.ts';
import { killReplica, readHealth, startReplica, stopReplica, type Replica, type ReplicaSettings } from './replicas.ts';
import { runUserFlow, type FlowObserver, type FlowRecord, type FlowUser } from './user-flow.ts';

const run = promisify(execFile);
export const replicaCount = 3;
const usersPerFault = 6;
/** short, so a frozen replica's runs are taken over within the suite's patience */
export const runLeaseMs = 4_000;
const mcpToken = 'fault-suite-mcp-token-0123456789';
/** only ends a fault that hangs; a fault takes seconds idle and a minute or two on a loaded two-core machine */
export const faultTimeout = 600_000;

export interface FaultRow {
  fault: string;
  flows: number;
  approved: number;
  executedOnce: number;
  notExecuted: number;
  /** issue 75: of the calls the cluster shows written, how many are recorded as run (or unknown, never failed) */
  ranRecordedRan: string;
  auditComplete: string;
  chainVerifies: boolean;
  streamsIntact: string;
  health: string;
  recoveryMs: number;
  problems: string[];
  /** each flow's card as the suite found it, with the cluster's writes, for a fault's own checks */
  cards: Array<{ callId: string; writes: number; status?: string; errorCode?: string; error?: string }>;
}

export type FlowEvent = Parameters<FlowObserver>[0];

export interface Injection {
  /** when to strike, told of every frame any flow receives */
  trigger: (event: FlowEvent) => boolean;
  /** the fault itself; resolves when the fault has ended (the broken part is back or replaced) */
  strike: (event: FlowEvent, health: string[]) => Promise<void>;
  /** what every flow's user does on each of its frames while the fault is planned (Stop mid-execution) */
  onEveryFrame?: (event: FlowEvent) => void;
}

export interface FaultSuite {
  replicas: Replica[];
  kube: KubeSim;
  relay: TcpRelay;
  mcp: McpProcess;
  sim: LlmSim;
  postgres: ThrowawayPostgres;
  redis: ThrowawayRedis;
  admin: FlowUser;
  /** the tmpfs the database's tablespace lives on */
  databaseDisk: string;
  /** the suite's own folder (kubeconfigs, manifests) */
  directory: string;
  kubectl(...args: string[]): Promise<string>;
  waitForHealth(accept: (body: { status?: string; components?: Record<string, string> }) => boolean, which?: Replica[], timeout?: number): Promise<void>;
  replaceReplica(index: number): Promise<void>;
  replicaIndex(name: string): number;
  /** POST /agent/chat on `replica` as the admin, bounded so a hang fails */
  chatOn(replica: Replica, content: string): Promise<Response>;
  runFault(index: number, fault: string, injection: Injection): Promise<FaultRow>;
  close(): Promise<void>;
}

export const healthy = (body: { status?: string }) => body.status === 'ok';

/** kill -9 of the replica that sent the frame, then a new process on its data dir */
export function killOn(suite: () => FaultSuite, trigger: Injection['trigger']): Injection {
  return {
    trigger,
    async strike(event, health) {
      const { replicas, waitForHealth, replaceReplica, replicaIndex } = suite();
      const index = replicaIndex(event.replica);
      await killReplica(replicas[index]!);
      try {
        const others = replicas.filter((_, other) => other !== index);
        await waitForHealth(healthy, others);
        health.push(`others ok while ${event.replica} was down`);
      } finally {
        await replaceReplica(index);
      }
    },
  };
}

/** Writes `file` until the disk refuses another byte (ENOSPC). */
export async function fillDisk(file: string): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  const handle = await open(file, 'w');
  try {
    for (let size = chunk.length; size >= 1; ) {
      try {
        await handle.write(chunk, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        size = Math.floor(size / 2);
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function login(replica: Replica, email: string, register: boolean): Promise<FlowUser> {
  const password = 'correct horse battery staple';
  if (register) {
    const registered = await fetch(`${replica.url}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    expect(registered.status, await registered.clone().text()).toBe(201);
  }
  const response = await fetch(`${replica.url}/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: email, password }) });
  expect(response.status).toBe(200);
  return { email, token: ((await response.json()) as { access_token: string }).access_token };
}

export async function startFaultSuite(): Promise<FaultSuite> {
  const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-faults-'));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const [kube, sim, postgres, redis] = await Promise.all([startKubeSim({ port: 0, kubeconfigPath: kubeconfig }), startLlmSim({ port: 0 }), startThrowawayPostgres(), startThrowawayRedis()]);
  // The MCP server reaches kube-sim through the relay; the suite reads kube-sim directly.
  const relay = await startTcpRelay(new URL(kube.url));
  const mcpKubeconfig = path.join(directory, 'mcp-kubeconfig');
  await writeFile(mcpKubeconfig, (await readFile(kubeconfig, 'utf8')).replaceAll(kube.url, relay.url));
  const mcp = await startMcpProcess({ kubeconfig: mcpKubeconfig, authToken: mcpToken, home: directory });

  // The database on a disk of its own: a tablespace on a small tmpfs, owned by the server's user.
  const databaseDisk = path.join(directory, 'database-disk');
  await mkdir(databaseDisk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', databaseDisk]);
  const tablespace = path.join(databaseDisk, 'tablespace');
  await mkdir(tablespace);
  if (process.getuid?.() === 0) {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    await chown(tablespace, Number(uid.trim()), Number(gid.trim()));
    // the server's user must reach it through the suite's folder (mkdtemp makes it 0700)
    await chmod(directory, 0o711);
    await chmod(databaseDisk, 0o711);
  }
  const client = new pg.Client({ connectionString: postgres.adminUrl });
  await client.connect();
  await client.query(`CREATE TABLESPACE faults_disk LOCATION '${tablespace}'`);
  await client.query('CREATE DATABASE skyflo TABLESPACE faults_disk');
  await client.end();

  const settings: ReplicaSettings = {
    directory,
    databaseUrl: postgres.urlFor('skyflo'),
    redisUrl: redis.url,
    redisPrefix: 'skyflo-faults:',
    mcpUrl: mcp.url,
    mcpToken,
    llmUrl: sim.url,
    env: { RUN_LEASE_MS: String(runLeaseMs), VERIFY_HOLD_SECONDS: '1' },
  };
  const replicas: Replica[] = [];
  // one at a time: each runs the migrations under their lock, and start-up is faster without the contention
  for (let index = 0; index < replicaCount; index++) replicas.push(await startReplica(`replica-${index}`, settings));
  sim.reset({ rules: [{ match: { userContains: 'probe:' }, reply: 'Here.' }] });
  const admin = await login(replicas[0]!, 'admin@example.test', true);
  const users: FlowUser[] = [admin, await login(replicas[1]!, 'sre-1@example.test', true), await login(replicas[2]!, 'sre-2@example.test', true)];
  const rows: FaultRow[] = [];

  const kubectl = async (...args: string[]) => {
    const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'kube-cache') } });
    return stdout.trim();
  };

  /** Waits until every live replica's /health satisfies `accept` (a replica that does not answer never does). */
  const waitForHealth: FaultSuite['waitForHealth'] = async (accept, which = replicas, timeout = 120_000) => {
    await vi.waitFor(
      async () => {
        const readings = await Promise.all(which.map((replica) => readHealth(replica)));
        const failing = readings.map((reading, index) => ({ reading, name: which[index]!.name })).filter(({ reading }) => reading.status !== 200 || !accept(reading.body as never));
        if (failing.length) throw new Error(`health not as expected on ${failing.map(({ name, reading }) => `${name}: ${reading.status} ${JSON.stringify(reading.body)}`).join('; ')}`);
      },
      { timeout, interval: 200 },
    );
  };

  const chatOn = (replica: Replica, content: string) =>
    fetch(`${replica.url}/agent/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ messages: [{ role: 'user', content }] }), signal: AbortSignal.timeout(30_000) });

  /** Answers a plain question on every replica: the time from a fault's end to this is its recovery time. */
  async function probeChats(): Promise<void> {
    for (const replica of replicas) {
      await vi.waitFor(
        async () => {
          const response = await chatOn(replica, 'probe: are you there?');
          const text = await response.text();
          if (!response.ok || !text.includes('"status":"completed"')) throw new Error(`probe on ${replica.name}: ${response.status} ${text.slice(-300)}`);
        },
        { timeout: 120_000, interval: 250 },
      );
    }
  }

  async function replaceReplica(index: number): Promise<void> {
    const old = replicas[index]!;
    await stopReplica(old);
    replicas[index] = await startReplica(old.name, settings);
  }

  /** A replica an earlier fault left dead (a failed test) is started again, so one failure does not fail the rest. */
  async function reviveReplicas(): Promise<void> {
    for (let index = 0; index < replicas.length; index++) {
      const replica = replicas[index]!;
      if (replica.child.exitCode !== null || replica.child.signalCode !== null) replicas[index] = await startReplica(replica.name, settings);
    }
  }

  async function runFault(index: number, fault: string, injection: Injection): Promise<FaultRow> {
    await reviveReplicas();
    await waitForHealth(healthy);
    const deployments = Array.from({ length: usersPerFault }, (_, user) => `app-${index}-${user}`);
    const manifest = deployments
      .map((name) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n`)
      .join('---\n');
    await writeFile(path.join(directory, `fault-${index}.yaml`), manifest);
    await kubectl('apply', '-f', path.join(directory, `fault-${index}.yaml`));
    const plans = deployments.map((deployment, user) => ({
      plan: { user: users[user % users.length]!, deployment, replicas: 3, askOn: user % replicaCount, approveOn: (user + 1) % replicaCount, expectedAnswer: `${deployment} now runs 3 replicas, all of them ready.` },
      callId: `call_${index}_${user}`,
    }));
    sim.reset({
      rules: [
        { match: { userContains: 'probe:' }, reply: 'Here.' },
        ...plans.flatMap(({ plan, callId }) => [
          { match: { lastRole: 'user' as const, userContains: `scale ${plan.deployment} to` }, reply: { toolCalls: [{ id: `load_${callId}`, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
          { match: { userContains: `scale ${plan.deployment} to`, toolName: 'load_toolset' }, reply: { toolCalls: [{ id: callId, name: 'k8s_scale', arguments: { name: plan.deployment, resource_type: 'deployment', replicas: 3, namespace: 'default' } }] } },
          // streamed word by word, so a stream broken mid-answer shows whether re-attachment loses or repeats text
          { match: { userContains: `scale ${plan.deployment} to`, toolName: 'k8s_scale' }, reply: { text: plan.expectedAnswer, tokenDelayMs: 40 } },
        ]),
      ],
    });

    const health: string[] = [];
    const strikeProblems: string[] = [];
    let struck: Promise<number> | undefined;
    const observe: FlowObserver = (event) => {
      injection.onEveryFrame?.(event);
      if (struck || !injection.trigger(event)) return;
      // recovery: from the fault's end (the part is back) until every replica is healthy and answers a chat again,
      // measured while the workload's own users are still finishing
      struck = injection
        .strike(event, health)
        .catch((error: unknown) => void strikeProblems.push(`the fault did not go as planned: ${error instanceof Error ? error.message : String(error)}`))
        .then(async () => {
          const faultEnded = performance.now();
          await waitForHealth(healthy);
          await probeChats();
          return performance.now() - faultEnded;
        });
    };
    const records: FlowRecord[] = await Promise.all(plans.map(({ plan, callId }) => runUserFlow(plan, () => replicas, callId, observe)));
    if (!struck) throw new Error(`${fault}: the fault was never injected (its trigger never matched); the suite did not test it`);
    const recoveryMs = Math.round(await struck);

    // settle: a run cut off by the fault is reconciled once its lease lapses; every card must end somewhere
    const verdicts: FlowVerdict[] = [];
    const audit = await vi.waitFor(
      async () => {
        const moving = await Promise.all(
          records.map(async (record) => {
            if (!record.conversationId) return undefined;
            const { card } = await readCard(replicas[0]!, record.plan.user, record.conversationId, record.callId);
            // a decided call must end somewhere: a run the fault cut off is closed once its lease lapses (the card then
            // says it did not run, or that its outcome is unknown); an undecided one may still wait for its approval
            const settled = !card || settledStatuses.has(card.status) || (!record.decided && card.status === 'awaiting_approval');
            return settled ? undefined : `${record.callId} ${card.status}${card.verification ? ` (verification ${JSON.stringify(card.verification).slice(0, 200)})` : ''}`;
          }),
        );
        const stillMoving = moving.filter((line) => line !== undefined);
        if (stillMoving.length > 0) throw new Error(`cards still moving: ${stillMoving.join('; ')}`);
        return readAudit(replicas[0]!, admin);
      },
      { timeout: 120_000, interval: 500 },
    );
    for (const record of records) {
      const cards = record.conversationId ? await Promise.all(replicas.map(async (replica) => ({ replica: replica.name, ...(await readCard(replica, record.plan.user, record.conversationId!, record.callId)) }))) : [];
      verdicts.push(judgeFlow({ record, writes: writesOf(kube, record.plan.deployment), cards, audit }));
    }
    const verification = await verifyAudit(replicas[0]!, admin);
    const exited = replicas.filter((replica) => replica.child.exitCode !== null || replica.child.signalCode !== null);
    const undecided = records.filter((record) => !record.decided && !record.notResumable && !record.previewFailed);
    const problems = [...strikeProblems, ...exited.map((replica) => `${replica.name} exited by itself:\n${replica.output().slice(-2000)}`), ...verdicts.flatMap((verdict) => verdict.problems), ...undecided.map((record) => `${record.callId} was never decided: ${record.errors.join(' | ').slice(0, 400)}`)];
    if (!verification.ok) problems.push(`/audit/verify: ${JSON.stringify(verification)}`);
    const wrote = verdicts.filter((verdict) => verdict.writes === 1);
    const row: FaultRow = {
      fault,
      flows: records.length,
      approved: records.filter((record) => record.decided).length,
      executedOnce: wrote.length,
      notExecuted: verdicts.filter((verdict) => verdict.writes === 0).length,
      ranRecordedRan: `${wrote.filter((verdict) => verdict.cardStatus === 'completed' || verdict.cardErrorCode === 'UNKNOWN_OUTCOME').length}/${wrote.length}`,
      auditComplete: `${verdicts.filter((verdict) => verdict.decisionAudited).length} decisions, ${verdicts.filter((verdict) => verdict.executionAudited).length} executions`,
      chainVerifies: verification.ok,
      streamsIntact: `${verdicts.filter((verdict) => verdict.streamCompleted && !verdict.problems.some((problem) => problem.includes('stream'))).length}/${records.length} complete`,
      health: health.join('; ') || '-',
      recoveryMs,
      problems,
      cards: verdicts.map((verdict) => ({ callId: verdict.callId, writes: verdict.writes, ...(verdict.cardStatus ? { status: verdict.cardStatus } : {}), ...(verdict.cardErrorCode ? { errorCode: verdict.cardErrorCode } : {}), ...(verdict.cardError ? { error: verdict.cardError } : {}) })),
    };
    rows.push(row);
    return row;
  }

  return {
    replicas,
    kube,
    relay,
    mcp,
    sim,
    postgres,
    redis,
    admin,
    databaseDisk,
    directory,
    kubectl,
    waitForHealth,
    replaceReplica,
    replicaIndex: (name) => replicas.findIndex((replica) => replica.name === name),
    chatOn,
    runFault,
    async close() {
      if (rows.length) {
        console.log(
          `\nFault suite (${replicaCount} replicas, ${usersPerFault} users a fault, Postgres + Redis):\n` +
            rows.map((row) => `  ${row.fault.padEnd(40)} approved ${row.approved}/${row.flows}  ran once ${row.executedOnce}  recorded as run ${row.ranRecordedRan}  not run ${row.notExecuted}  audit ${row.auditComplete}  chain ${row.chainVerifies ? 'verifies' : 'BROKEN'}  streams ${row.streamsIntact}  recovery ${row.recoveryMs} ms  health: ${row.health}${row.problems.length ? `\n    problems: ${row.problems.join('\n      ')}` : ''}`).join('\n'),
        );
      }
      await Promise.all(replicas.map((replica) => stopReplica(replica)));
      await mcp.close();
      await relay.close();
      await kube.close();
      await sim.close();
      await redis.close();
      await postgres.close();
      execFileSync('umount', ['-l', databaseDisk]);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
