/**
 * A claim that ends a dead run's lapsed lease is the only one that knows that run ended (the reconciler names only the
 * runs it ends itself): the cards that run left under way are settled by the claim, whether the claim then takes the
 * conversation or is refused (another claim took the conversation it freed, or the user's limit filled meanwhile).
 */
import { describe, expect, it } from 'vitest';
import type { RunStore } from '../../platform/ports/index.ts';
import { createConversationRuns } from './conversation-runs.ts';

type BeginOutcome = Awaited<ReturnType<RunStore['begin']>>;

const conversationId = '5b0c1f0e-7f4e-4c55-9d43-0f2b8d4e3a11';
const deadRun = 'run-of-a-killed-engine';

/** A claim whose storage answers `outcome`, and the conversations whose dead run's cards it settled. */
function claimAnswered(outcome: BeginOutcome) {
  const settled: string[] = [];
  const runs = {
    begin: async () => outcome,
    renew: async () => true,
    finish: async () => undefined,
    get: async () => undefined,
  } satisfies RunStore;
  const { claim } = createConversationRuns({
    storage: { runs },
    bus: { isStopRequested: async () => false },
    config: { runLeaseMs: 30_000, maxRunsPerUser: 3 },
    settleCardsOfDeadRun: async (id) => (settled.push(id), true),
  });
  return { claim: () => claim(conversationId, 'new-run', 'user-1'), settled };
}

describe('a claim that ended a dead run', () => {
  it('settles its cards before the new run starts', async () => {
    const { claim, settled } = claimAnswered({ ok: true, endedLapsedRun: deadRun });
    await claim();
    expect(settled).toEqual([conversationId]);
  });

  it('settles its cards when another claim then took the conversation, and answers 409', async () => {
    const active = { runId: 'run-of-another-engine', conversationId, status: 'running' as const, startedAt: new Date(), leaseUntil: new Date(Date.now() + 30_000) };
    const { claim, settled } = claimAnswered({ ok: false, reason: 'conversation_busy', active, endedLapsedRun: deadRun });
    await expect(claim()).rejects.toMatchObject({ statusCode: 409, code: 'RUN_IN_PROGRESS' });
    expect(settled).toEqual([conversationId]);
  });

  it("settles its cards when the user's limit filled before the insert, and answers 429", async () => {
    const { claim, settled } = claimAnswered({ ok: false, reason: 'user_limit', running: 3, endedLapsedRun: deadRun });
    await expect(claim()).rejects.toMatchObject({ statusCode: 429, code: 'TOO_MANY_RUNS' });
    expect(settled).toEqual([conversationId]);
  });

  it('settles nothing when no run was ended', async () => {
    const { claim, settled } = claimAnswered({ ok: false, reason: 'user_limit', running: 3 });
    await expect(claim()).rejects.toMatchObject({ statusCode: 429 });
    expect(settled).toEqual([]);
  });
});
