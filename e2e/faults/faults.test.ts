/**
 * The fault suite (issue 32): three `skyflo serve` replicas on Postgres and Redis of their own, kube-sim as the
 * cluster, the scripted model, and users who ask on one replica, approve on another and re-attach on a third when a
 * stream breaks. One fault at a time is injected at a chosen point of the runs; afterwards the suite checks, from the
 * outside, the promises an operator relies on:
 *  - every approved call wrote exactly once (kube-sim's request log), or its card says it did not run and why;
 *  - every decision and every execution has its audit record, and /audit/verify passes;
 *  - no stream showed duplicated or missing text;
 *  - every conversation reads the same on every replica, and no card is left half-way;
 *  - /health told the truth while the fault lasted.
 * It prints a table of these figures and of the time each recovery took. No timing is asserted: every wait is for a
 * condition, bounded only so a hang fails instead of stalling CI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startThrowawayPostgres, startThrowawayRedis, type ThrowawayPostgres, type ThrowawayRedis } from '@skyflo/testkit/services';
import { kubectlPath } from '@skyflo/testkit/tools';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { judgeFlow, readAudit, readCard, settledStatuses, verifyAudit, writesOf, type FlowVerdict } from './support/fault-checks.ts';
import { killReplica, readHealth, startReplica, stopReplica, type Replica, type ReplicaSettings } from './support/replicas.ts';
import { runUserFlow, type FlowObserver, type FlowRecord, type FlowUser } from './support/user-flow.ts';

const run = promisify(execFile);
const replicaCount = 3;
const usersPerFault = 6;
/** short, so a frozen replica's runs are taken over within the suite's patience */
const runLeaseMs = 4_000;
const mcpToken = 'fault-suite-mcp-token-0123456789';
/** only ends a fault that hangs; a fault takes seconds idle and a minute or two on a loaded two-core machine */
const faultTimeout = 600_000;

let directory: string;
let kubeconfig: string;
let kube: KubeSim;
let mcp: McpHttpServer;
let sim: LlmSim;
let postgres: ThrowawayPostgres;
let redis: ThrowawayRedis;
let settings: ReplicaSettings;
const replicas: Replica[] = [];
let admin: FlowUser;
const users: FlowUser[] = [];

interface FaultRow {
  fault: string;
  flows: number;
  approved: number;
  executedOnce: number;
  notExecuted: number;
  auditComplete: string;
  chainVerifies: boolean;
  streamsIntact: string;
  health: string;
  recoveryMs: number;
  problems: string[];
}
const rows: FaultRow[] = [];

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

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'kube-cache') } });
  return stdout.trim();
}

/** Waits until every live replica's /health satisfies `accept` (a replica that does not answer never does). */
async function waitForHealth(accept: (body: { status?: string; components?: Record<string, string> }) => boolean, which: Replica[] = replicas, timeout = 120_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const readings = await Promise.all(which.map((replica) => readHealth(replica)));
      const failing = readings.map((reading, index) => ({ reading, name: which[index]!.name })).filter(({ reading }) => reading.status !== 200 || !accept(reading.body as never));
      if (failing.length) throw new Error(`health not as expected on ${failing.map(({ name, reading }) => `${name}: ${reading.status} ${JSON.stringify(reading.body)}`).join('; ')}`);
    },
    { timeout, interval: 200 },
  );
}
const healthy = (body: { status?: string }) => body.status === 'ok';

/** Answers a plain question on every replica: the time from a fault's end to this is its recovery time. */
async function probeChats(): Promise<void> {
  for (const replica of replicas) {
    await vi.waitFor(
      async () => {
        const response = await fetch(`${replica.url}/agent/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ messages: [{ role: 'user', content: 'probe: are you there?' }] }), signal: AbortSignal.timeout(30_000) });
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

interface Injection {
  /** when to strike, told of every frame any flow receives */
  trigger: (event: Parameters<FlowObserver>[0]) => boolean;
  /** the fault itself; resolves when the fault has ended (the broken part is back or replaced) */
  strike: (event: Parameters<FlowObserver>[0], health: string[]) => Promise<void>;
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
  const problems = [...strikeProblems, ...exited.map((replica) => `${replica.name} exited by itself:\n${replica.output().slice(-2000)}`), ...verdicts.flatMap((verdict) => verdict.problems), ...records.flatMap((record) => (record.decided ? [] : [`${record.callId} was never decided: ${record.errors.join(' | ').slice(0, 400)}`]))];
  if (!verification.ok) problems.push(`/audit/verify: ${JSON.stringify(verification)}`);
  const row: FaultRow = {
    fault,
    flows: records.length,
    approved: records.filter((record) => record.decided).length,
    executedOnce: verdicts.filter((verdict) => verdict.writes === 1).length,
    notExecuted: verdicts.filter((verdict) => verdict.writes === 0).length,
    auditComplete: `${verdicts.filter((verdict) => verdict.decisionAudited).length} decisions, ${verdicts.filter((verdict) => verdict.executionAudited).length} executions`,
    chainVerifies: verification.ok,
    streamsIntact: `${verdicts.filter((verdict) => verdict.streamCompleted && !verdict.problems.some((problem) => problem.includes('stream'))).length}/${records.length} complete`,
    health: health.join('; ') || '-',
    recoveryMs,
    problems,
  };
  rows.push(row);
  return row;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-faults-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  [kube, sim, postgres, redis] = await Promise.all([startKubeSim({ port: 0, kubeconfigPath: kubeconfig }), startLlmSim({ port: 0 }), startThrowawayPostgres(), startThrowawayRedis()]);
  mcp = await startMcpHttpServer({ port: 0, authToken: mcpToken, settings: { kubeconfigPath: kubeconfig, kubectlPath } });
  const client = new pg.Client({ connectionString: postgres.adminUrl });
  await client.connect();
  await client.query('CREATE DATABASE skyflo');
  await client.end();
  settings = {
    directory,
    databaseUrl: postgres.urlFor('skyflo'),
    redisUrl: redis.url,
    redisPrefix: 'skyflo-faults:',
    mcpUrl: mcp.url,
    mcpToken,
    llmUrl: sim.url,
    env: { RUN_LEASE_MS: String(runLeaseMs), VERIFY_HOLD_SECONDS: '1' },
  };
  // one at a time: each runs the migrations under their lock, and start-up is faster without the contention
  for (let index = 0; index < replicaCount; index++) replicas.push(await startReplica(`replica-${index}`, settings));
  sim.reset({ rules: [{ match: { userContains: 'probe:' }, reply: 'Here.' }] });
  admin = await login(replicas[0]!, 'admin@example.test', true);
  users.push(admin, await login(replicas[1]!, 'sre-1@example.test', true), await login(replicas[2]!, 'sre-2@example.test', true));
}, 600_000);

afterAll(async () => {
  if (rows.length) {
    console.log(
      `\nFault suite (${replicaCount} replicas, ${usersPerFault} users a fault, Postgres + Redis):\n` +
        rows.map((row) => `  ${row.fault.padEnd(34)} approved ${row.approved}/${row.flows}  ran once ${row.executedOnce}  not run ${row.notExecuted}  audit ${row.auditComplete}  chain ${row.chainVerifies ? 'verifies' : 'BROKEN'}  streams ${row.streamsIntact}  recovery ${row.recoveryMs} ms  health: ${row.health}${row.problems.length ? `\n    problems: ${row.problems.join('\n      ')}` : ''}`).join('\n'),
    );
  }
  await Promise.all(replicas.map((replica) => stopReplica(replica)));
  await mcp?.close();
  await kube?.close();
  await sim?.close();
  await redis?.close();
  await postgres?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
}, 120_000);

const replicaIndex = (name: string) => replicas.findIndex((replica) => replica.name === name);

/** kill -9 of the replica that sent the frame, then a new process on its data dir */
function killOn(trigger: Injection['trigger']): Injection {
  return {
    trigger,
    async strike(event, health) {
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

describe.sequential('faults across three replicas on Postgres + Redis', () => {
  it('a Postgres restart mid-run: runs end clearly, health says degraded, every replica recovers by itself', async () => {
    const row = await runFault(0, 'postgres restart mid-run', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'tool.approved',
      async strike(_event, health) {
        await postgres.stop();
        try {
          await waitForHealth((body) => body.status === 'degraded' && String(body.components?.['database']).startsWith('error'));
          health.push('all degraded naming the database');
          const refused = await fetch(`${replicas[0]!.url}/agent/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ messages: [{ role: 'user', content: 'probe: during the outage' }] }) });
          health.push(`new chat ${refused.status} retry-after ${refused.headers.get('retry-after') ?? 'none'}`);
          if (refused.status !== 503 || !refused.headers.get('retry-after')) throw new Error(`a new chat during the outage answered ${refused.status} (Retry-After ${refused.headers.get('retry-after') ?? 'none'}): ${await refused.text()}`);
        } finally {
          // the database comes back whatever the checks found, or every later fault would fail for this one
          await postgres.start();
        }
      },
    });
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('Redis killed (-9) and restarted mid-stream', async () => {
    const row = await runFault(1, 'redis kill -9 mid-stream', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'token',
      async strike(_event, health) {
        await redis.kill();
        try {
          await waitForHealth((body) => body.status === 'degraded' && String(body.components?.['bus']).startsWith('error'));
          health.push('all degraded naming the bus');
        } finally {
          await redis.start();
        }
      },
    });
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) mid-stream', async () => {
    const row = await runFault(2, 'replica kill -9 mid-stream', killOn((event) => event.stage === 'approve' && event.frame.event === 'token'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) mid-approval', async () => {
    const row = await runFault(3, 'replica kill -9 mid-approval', killOn((event) => event.stage === 'approve' && event.frame.event === 'tool.approved'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) mid-execution', async () => {
    const row = await runFault(4, 'replica kill -9 mid-execution', killOn((event) => event.stage === 'approve' && event.frame.event === 'tool.executing'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) mid-verification', async () => {
    const row = await runFault(5, 'replica kill -9 mid-verification', killOn((event) => event.stage === 'approve' && event.frame.event === 'tool.verification' && event.frame.data['outcome'] === 'verifying'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica frozen (SIGSTOP) for longer than its lease: the others stay healthy and nothing runs twice', async () => {
    const row = await runFault(6, 'replica SIGSTOP past its lease', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'tool.executing',
      async strike(event, health) {
        const frozen = replicas[replicaIndex(event.replica)]!;
        frozen.child.kill('SIGSTOP');
        const others = replicas.filter((replica) => replica !== frozen);
        // the freeze lasts twice the lease, so the others must take over what the frozen one held; meanwhile their
        // health (a database round trip) must keep answering: a frozen holder may not stall them
        try {
          const until = Date.now() + 2 * runLeaseMs;
          while (Date.now() < until) {
            const readings = await Promise.all(others.map((replica) => readHealth(replica, 10_000)));
            health.push(...readings.filter((reading) => reading.status !== 200 || reading.body.status !== 'ok').map((reading) => `other replica said ${reading.status} ${JSON.stringify(reading.body)}`));
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
          if (!health.length) health.push('others ok throughout the freeze');
        } finally {
          frozen.child.kill('SIGCONT');
        }
      },
    });
    expect(row.health).toBe('others ok throughout the freeze');
    expect(row.problems).toEqual([]);
  }, faultTimeout);
});
