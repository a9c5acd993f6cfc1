/**
 * The fault suite (issues 32 and 75): three `skyflo serve` replicas on Postgres and Redis of their own, kube-sim as the
 * cluster, the MCP server as a process of its own, the scripted model, and users who ask on one replica, approve on
 * another and re-attach on a third when a stream breaks (support/fault-suite.ts). One fault at a time is injected at a
 * chosen point of the runs; afterwards the suite checks, from the outside, the promises an operator relies on
 * (support/fault-checks.ts):
 *  - every approved call wrote at most once (kube-sim's request log), or its card says it did not run and why;
 *  - what ran is recorded as run: a call the cluster shows written is `completed`, or `unknown` when its answer was
 *    lost, never failed or cancelled (issue 75); and a card that says it ran wrote;
 *  - every decision and every execution has its audit record, and /audit/verify passes;
 *  - no stream showed duplicated or missing text, and every stream ended;
 *  - every conversation reads the same on every replica, and no card is left half-way;
 *  - health (/health, /readyz) told the truth while the fault lasted.
 * It prints a table of these figures and of the time each recovery took. No timing is asserted: every wait is for a
 * condition, bounded only so a hang fails instead of stalling CI.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freeLoopbackPort } from '@skyflo/testkit/services';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fillDisk, faultTimeout, killOn, runLeaseMs, startFaultSuite, type FaultSuite, type FlowEvent } from './support/fault-suite.ts';
import { readHealth, readReadiness, type Replica } from './support/replicas.ts';

let suite: FaultSuite;

beforeAll(async () => {
  suite = await startFaultSuite();
}, 600_000);

afterAll(async () => {
  await suite?.close();
}, 120_000);

/** The deployment a call of the workload scales: call_<fault>_<user> → app-<fault>-<user>. */
const deploymentOf = (callId: unknown) => String(callId).replace(/^call_/, 'app-').replace(/_/g, '-');

/** The request line of a real (not dry-run) scale of one of fault `index`'s deployments. */
const scaleOfFault = (index: number) => (line: string) => line.startsWith('PATCH ') && line.includes(`/deployments/app-${index}-`) && line.includes('/scale?') && !line.includes('dryRun');

/** kube-sim received (and answered, the relay may hold the answer) the real scale of `deployment`. */
const scaleReceived = (deployment: string) => suite.kube.calls.some((call) => call.method === 'PATCH' && call.path.endsWith(`/deployments/${deployment}/scale`) && call.query['dryRun'] === undefined && call.status > 0);

/** Until every replica's /readyz satisfies `accept` (a replica that does not answer counts as not). */
async function waitForReadiness(accept: (reading: Awaited<ReturnType<typeof readReadiness>>) => boolean, which: Replica[] = suite.replicas): Promise<void> {
  await vi.waitFor(
    async () => {
      const readings = await Promise.all(which.map((replica) => readReadiness(replica)));
      const failing = readings.map((reading, index) => ({ reading, name: which[index]!.name })).filter(({ reading }) => !accept(reading));
      if (failing.length) throw new Error(`readiness not as expected on ${failing.map(({ name, reading }) => `${name}: ${reading.status} ${JSON.stringify(reading.body)}`).join('; ')}`);
    },
    { timeout: 120_000, interval: 250 },
  );
}

describe.sequential('faults across three replicas on Postgres + Redis', () => {
  it('a Postgres restart mid-run: runs end clearly, health says degraded, every replica recovers by itself', async () => {
    const row = await suite.runFault(0, 'postgres restart mid-run', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'tool.approved',
      async strike(_event, health) {
        await suite.postgres.stop();
        try {
          await suite.waitForHealth((body) => body.status === 'degraded' && String(body.components?.['database']).startsWith('error'));
          health.push('all degraded naming the database');
          const refused = await suite.chatOn(suite.replicas[0]!, 'probe: during the outage');
          health.push(`new chat ${refused.status} retry-after ${refused.headers.get('retry-after') ?? 'none'}`);
          if (refused.status !== 503 || !refused.headers.get('retry-after')) throw new Error(`a new chat during the outage answered ${refused.status} (Retry-After ${refused.headers.get('retry-after') ?? 'none'}): ${await refused.text()}`);
        } finally {
          // the database comes back whatever the checks found, or every later fault would fail for this one
          await suite.postgres.start();
        }
      },
    });
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('Redis killed (-9) and restarted mid-stream', async () => {
    const row = await suite.runFault(1, 'redis kill -9 mid-stream', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'token',
      async strike(_event, health) {
        await suite.redis.kill();
        try {
          await suite.waitForHealth((body) => body.status === 'degraded' && String(body.components?.['bus']).startsWith('error'));
          health.push('all degraded naming the bus');
        } finally {
          await suite.redis.start();
        }
      },
    });
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) mid-stream', async () => {
    const row = await suite.runFault(2, 'replica kill -9 mid-stream', killOn(() => suite, (event) => event.stage === 'approve' && event.frame.event === 'token'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) mid-approval', async () => {
    const row = await suite.runFault(3, 'replica kill -9 mid-approval', killOn(() => suite, (event) => event.stage === 'approve' && event.frame.event === 'tool.approved'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) mid-execution', async () => {
    const row = await suite.runFault(4, 'replica kill -9 mid-execution', killOn(() => suite, (event) => event.stage === 'approve' && event.frame.event === 'tool.executing'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) mid-verification', async () => {
    const row = await suite.runFault(5, 'replica kill -9 mid-verification', killOn(() => suite, (event) => event.stage === 'approve' && event.frame.event === 'tool.verification' && event.frame.data['outcome'] === 'verifying'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica frozen (SIGSTOP) for longer than its lease: the others stay healthy and nothing runs twice', async () => {
    const row = await suite.runFault(6, 'replica SIGSTOP past its lease', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'tool.executing',
      async strike(event, health) {
        const frozen = suite.replicas[suite.replicaIndex(event.replica)]!;
        frozen.child.kill('SIGSTOP');
        const others = suite.replicas.filter((replica) => replica !== frozen);
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

  it('Stop mid-execution (issue 75): the run ends, and every change that ran is recorded as run, never as cancelled', async () => {
    // Each user stops their run the moment it executes; the first change's answer waits in the relay until its Stop
    // has been accepted, so at least one Stop lands while a change is under way (kube-sim has applied it).
    const stops = new Map<string, Promise<number>>();
    const stop = (event: FlowEvent) => {
      if (!event.runId || !event.conversationId || stops.has(event.runId)) return;
      const replica = suite.replicas[suite.replicaIndex(event.replica)]!;
      stops.set(event.runId, fetch(`${replica.url}/agent/stop`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${event.user.token}` }, body: JSON.stringify({ conversation_id: event.conversationId, run_id: event.runId }), signal: AbortSignal.timeout(30_000) }).then((response) => response.status, () => 0));
    };
    const executing = (event: FlowEvent) => event.stage === 'approve' && event.frame.event === 'tool.executing';
    suite.relay.holdReplies(scaleOfFault(7));
    const row = await suite.runFault(7, 'stop mid-execution', {
      onEveryFrame: (event) => executing(event) && stop(event),
      trigger: executing,
      async strike(event, health) {
        try {
          await vi.waitFor(() => expect(scaleReceived(deploymentOf(event.frame.data['call_id']))).toBe(true), { timeout: 60_000, interval: 20 });
          const stopped = await stops.get(event.runId!);
          health.push(`stop answered ${stopped} while ${String(event.frame.data['call_id'])} was under way`);
          if (stopped !== 200) throw new Error(`the Stop answered ${stopped}`);
        } finally {
          suite.relay.releaseReplies();
        }
      },
    });
    expect(row.problems).toEqual([]);
    expect(row.executedOnce).toBeGreaterThan(0);
    // the tool answered every change that ran: each is executed, none unknown
    expect(row.cards.filter((card) => card.writes === 1).map((card) => `${card.callId} ${card.status}`)).toEqual(row.cards.filter((card) => card.writes === 1).map((card) => `${card.callId} completed`));
  }, faultTimeout);

  it('a Postgres restart mid-execution (issue 75): the change that ran is recorded as executed, not failed', async () => {
    // kube-sim applies the change and its answer waits in the relay while the database restarts
    suite.relay.holdReplies(scaleOfFault(13));
    const row = await suite.runFault(13, 'postgres restart mid-execution', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'tool.executing',
      async strike(event, health) {
        try {
          await vi.waitFor(() => expect(scaleReceived(deploymentOf(event.frame.data['call_id']))).toBe(true), { timeout: 60_000, interval: 20 });
          await suite.postgres.restart();
          health.push(`postgres restarted while ${String(event.frame.data['call_id'])} was under way`);
        } finally {
          suite.relay.releaseReplies();
        }
      },
    });
    expect(row.problems).toEqual([]);
    expect(row.executedOnce).toBeGreaterThan(0);
    // the tool answered every change that ran: each is executed (its run settled it once the database was back)
    expect(row.cards.filter((card) => card.writes === 1).map((card) => `${card.callId} ${card.status}`)).toEqual(row.cards.filter((card) => card.writes === 1).map((card) => `${card.callId} completed`));
  }, faultTimeout);

  it('Redis stalled (SIGSTOP) mid-stream (issue 75): /readyz 503 naming the bus on every replica, a new chat 503 with Retry-After', async () => {
    const row = await suite.runFault(8, 'redis stalled (SIGSTOP) mid-stream', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'token',
      async strike(_event, health) {
        suite.redis.pause();
        try {
          await waitForReadiness((reading) => reading.status === 503 && String(reading.body['components'] && (reading.body['components'] as Record<string, string>)['bus']).startsWith('error'));
          health.push('every /readyz 503 naming the bus');
          const refused = await suite.chatOn(suite.replicas[1]!, 'probe: during the stall');
          health.push(`new chat ${refused.status} retry-after ${refused.headers.get('retry-after') ?? 'none'}`);
          if (refused.status !== 503 || !refused.headers.get('retry-after')) throw new Error(`a new chat during the stall answered ${refused.status}: ${await refused.text()}`);
        } finally {
          suite.redis.resume();
        }
      },
    });
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it("the database server's disk full (issue 75): writes refused with 507 naming it, never 500, /readyz 503 once a write was refused, back when space is freed", async () => {
    const filler = path.join(suite.databaseDisk, 'filler');
    const row = await suite.runFault(9, 'postgres disk full mid-approval', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'tool.approved',
      async strike(_event, health) {
        await fillDisk(filler);
        try {
          // conversations fit in free pages until one needs a new page, which the disk refuses
          const replica = suite.replicas[0]!;
          let refusal: Response | undefined;
          for (let attempt = 0; attempt < 2_000 && !refusal; attempt += 1) {
            const created = await fetch(`${replica.url}/conversations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${suite.admin.token}` }, body: JSON.stringify({ title: `filling the disk ${attempt} ${'x'.repeat(200)}` }), signal: AbortSignal.timeout(30_000) });
            if (created.status !== 201) refusal = created;
          }
          const said = (await refusal?.json()) as { code?: string; detail?: string } | undefined;
          health.push(`a new conversation ${refusal?.status ?? 'never refused'} ${said?.code ?? ''}`);
          if (refusal?.status !== 507 || said?.code !== 'STORAGE_FULL') throw new Error(`a write on the full disk answered ${refusal?.status}: ${JSON.stringify(said)}`);
          const ready = await readReadiness(replica);
          health.push(`/readyz ${ready.status} (disk ${String((ready.body['components'] as Record<string, string> | undefined)?.['disk'])})`);
          if (ready.status !== 503) throw new Error(`/readyz answered ${ready.status} while the disk refused writes: ${JSON.stringify(ready.body)}`);
        } finally {
          await rm(filler, { force: true });
        }
      },
    });
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('a replica killed (-9) as a call awaits approval (issue 75): an approval is accepted only if the run can resume it', async () => {
    const row = await suite.runFault(10, 'replica kill -9 as a call awaits approval', killOn(() => suite, (event) => event.stage === 'ask' && event.frame.event === 'tool.awaiting_approval'));
    expect(row.problems).toEqual([]);
  }, faultTimeout);

  it('the MCP server (the process that executes calls) killed (-9) mid-execution (issue 75): a change whose answer was lost is unknown, never failed', async () => {
    suite.relay.holdReplies(scaleOfFault(11));
    const row = await suite.runFault(11, 'mcp server kill -9 mid-execution', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'tool.executing',
      async strike(event, health) {
        try {
          // kube-sim applied the change; its answer is in the relay when the process that asked for it dies
          await vi.waitFor(() => expect(scaleReceived(deploymentOf(event.frame.data['call_id']))).toBe(true), { timeout: 60_000, interval: 20 });
          await suite.mcp.kill();
        } finally {
          suite.relay.releaseReplies();
        }
        try {
          health.push(`mcp killed while ${String(event.frame.data['call_id'])} was under way`);
        } finally {
          await suite.mcp.start();
        }
      },
    });
    expect(row.problems).toEqual([]);
    expect(row.ranRecordedRan).toMatch(/^(\d+)\/\1$/);
  }, faultTimeout);

  it('the admission webhook down (issue 75): writes refused by the cluster say so, never "the target changed"', async () => {
    const deadPort = await freeLoopbackPort();
    const webhook = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'fault-suite-down' },
      webhooks: [
        {
          name: 'scale.fault-suite.example',
          clientConfig: { url: `http://127.0.0.1:${deadPort}/validate` },
          rules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['deployments', 'deployments/scale'] }],
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 2,
        },
      ],
    };
    const row = await suite.runFault(12, 'admission webhook down mid-approval', {
      trigger: (event) => event.stage === 'approve' && event.frame.event === 'tool.approved',
      async strike(_event, health) {
        const file = path.join(suite.directory, 'webhook-down.json');
        await writeFile(file, JSON.stringify(webhook));
        await suite.kubectl('apply', '-f', file);
        try {
          // the cluster refuses the workload's writes while it is down
          await vi.waitFor(() => expect(suite.kube.calls.some((call) => call.path.includes('/deployments/app-12-') && call.status === 500)).toBe(true), { timeout: 60_000, interval: 50 });
          health.push('the cluster refused writes (failed calling webhook)');
        } finally {
          await suite.kubectl('delete', 'validatingwebhookconfiguration', 'fault-suite-down');
        }
      },
    });
    expect(row.problems).toEqual([]);
    const refusedCards = row.cards.filter((card) => card.writes === 0 && card.status === 'error');
    expect(refusedCards.length).toBeGreaterThan(0);
    for (const card of refusedCards) {
      expect(card.error, card.callId).not.toMatch(/changed after it was approved/);
      expect(card.errorCode, card.callId).not.toBe('UNKNOWN_OUTCOME');
    }
    expect(refusedCards.some((card) => /failed calling webhook/.test(card.error ?? ''))).toBe(true);
  }, faultTimeout);
});
