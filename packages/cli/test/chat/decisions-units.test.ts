/**
 * Issue 19 in the terminal client's parts, without a terminal: the approval prompt's typeahead guard (keys typed
 * before the card could be read, or in one burst with others, never decide; a lone key does), the raw-mode hand-over
 * from the run's Ctrl-C watcher to the prompt, and a pause on two calls (both asked about before the first decision
 * is sent, each decision bound to the hashes of the call shown).
 */
import { PassThrough } from 'node:stream';
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../src/chat/api-client.ts';
import type { AwaitingApproval } from '../../src/chat/approval-card.ts';
import { decider } from '../../src/chat/approval-prompt.ts';
import { runTurn, type Decision, type DecisionPosition } from '../../src/chat/run-turn.ts';
import { createTerminalInput, type KeyResult, type TypeaheadGuard } from '../../src/chat/terminal-input.ts';

/** A terminal's stdin as far as the client can tell: a TTY whose raw mode is recorded. */
function fakeTty() {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; isRaw: boolean; setRawMode(on: boolean): unknown; rawChanges: boolean[] };
  stream.isTTY = true;
  stream.isRaw = false;
  stream.rawChanges = [];
  stream.setRawMode = (on: boolean) => {
    stream.isRaw = on;
    stream.rawChanges.push(on);
    return stream;
  };
  return stream;
}

/** How many keys the prompt said it ignored (a slow machine may report one burst in two notices). */
const totalIgnored = (log: string[]) => log.reduce((sum, line) => sum + (/^ignored (\d+)$/.exec(line) ? Number(/^ignored (\d+)$/.exec(line)![1]) : 0), 0);

function guardedPrompt(quietMs = 40) {
  const stdin = fakeTty();
  const input = createTerminalInput(stdin as unknown as NodeJS.ReadStream, new PassThrough() as unknown as NodeJS.WriteStream);
  const log: string[] = [];
  let ready = false;
  const guard: TypeaheadGuard = {
    quietMs,
    onReady: () => {
      ready = true;
      log.push('ready');
    },
    onIgnored: (count) => log.push(`ignored ${count}`),
  };
  return { stdin, input, guard, log, isReady: () => ready };
}

describe('approval prompt: typed-ahead text is never a decision', () => {
  it('keys typed before the prompt listened and a burst of typing are ignored and reported; a lone "a" then decides', async () => {
    const { stdin, input, guard, log, isReady } = guardedPrompt();
    let result: KeyResult | undefined;
    void input.readKey(['a', 'd'], { typeahead: guard }).then((key) => (result = key));
    // buffered while the card was drawn: arrives before the prompt is ready
    stdin.write('a');
    await vi.waitFor(() => expect(isReady()).toBe(true));
    // "please double check" in one burst, as typed or pasted when the card appears
    stdin.write('please double check');
    await vi.waitFor(() => expect(totalIgnored(log)).toBe(20));
    expect(result).toBeUndefined();
    // read, then pressed on its own
    stdin.write('a');
    await vi.waitFor(() => expect(result).toEqual({ kind: 'key', name: 'a' }));
    expect(log[0]).toBe('ready');
    expect(totalIgnored(log)).toBe(20);
  });

  it('a decision key followed at once by more typing is part of the text', async () => {
    const { stdin, input, guard, log, isReady } = guardedPrompt();
    let result: KeyResult | undefined;
    void input.readKey(['a', 'd'], { typeahead: guard }).then((key) => (result = key));
    await vi.waitFor(() => expect(isReady()).toBe(true));
    stdin.write('ds');
    await vi.waitFor(() => expect(totalIgnored(log)).toBe(2));
    expect(result).toBeUndefined();
    stdin.write('d');
    await vi.waitFor(() => expect(result).toEqual({ kind: 'key', name: 'd' }));
  });

  it('keys the run watcher swallowed count as typed ahead; Ctrl-C still answers at once', async () => {
    const { stdin, input, guard, log, isReady } = guardedPrompt();
    const stopWatching = input.watchInterrupts(() => undefined);
    stdin.write('plea');
    // the hand-over: raw mode held while the watcher stops and the prompt starts
    const release = input.holdRaw();
    stopWatching();
    expect(stdin.isRaw).toBe(true);
    let result: KeyResult | undefined;
    void input.readKey(['a', 'd'], { typeahead: guard }).then((key) => (result = key));
    release();
    expect(stdin.isRaw).toBe(true);
    expect(stdin.rawChanges).not.toContain(false);
    await vi.waitFor(() => expect(isReady()).toBe(true));
    await vi.waitFor(() => expect(totalIgnored(log)).toBe(4));
    stdin.write('\u0003');
    await vi.waitFor(() => expect(result).toEqual({ kind: 'interrupt' }));
    expect(stdin.isRaw).toBe(false);
  });
});

const conversation = '11111111-1111-4111-8111-111111111111';
const call = (id: string, hash: string, diffHash?: string): AwaitingApproval =>
  ({
    type: 'tool.awaiting_approval',
    call_id: id,
    tool: 'k8s_scale',
    title: 'Scale',
    args: { name: id },
    args_hash: hash.repeat(64),
    ...(diffHash ? { diff: `-1\n+2 ${id}`, diff_hash: diffHash.repeat(64) } : {}),
    context: { conversation_id: conversation, approval_decisions: {} },
  }) as AwaitingApproval;

async function* events(list: AgentEvent[]) {
  for (const event of list) yield { event };
}
const completedAwaiting = { type: 'completed', status: 'completed', duration: 0, duration_ms: 1, awaiting_approval: true } as AgentEvent;
const completedDone = { type: 'completed', status: 'completed', duration: 0, duration_ms: 1 } as AgentEvent;

describe('a pause on two calls', () => {
  it('asks about both before sending the first decision, then sends each bound to the hashes shown', async () => {
    const a = call('a', 'a', 'd');
    const b = call('b', 'b');
    const log: string[] = [];
    const client = {
      chat: async () => events([{ type: 'ready', run_id: 'r1', conversation_id: conversation } as AgentEvent, a, b, completedAwaiting]),
      decide: async ({ callId, decision }: { callId: string; decision: Record<string, unknown> }) => {
        log.push(`sent ${callId} ${JSON.stringify(decision)}`);
        // Resuming after a: a runs, the gate announces b again and pauses; after b the run completes.
        return callId === 'a' ? events([b, completedAwaiting]) : events([completedDone]);
      },
      stop: async () => ({}),
    } as unknown as ApiClient;
    const turn = runTurn({
      client,
      message: 'scale a and b',
      onEvent: () => undefined,
      decide: async (approval: AwaitingApproval, position: DecisionPosition): Promise<Decision> => {
        log.push(`asked ${approval.call_id} ${position.index + 1}/${position.total}`);
        return approval.call_id === 'a' ? { approve: true } : { approve: false, reason: 'not b' };
      },
    });
    const outcome = await turn.done;
    expect(outcome).toMatchObject({ status: 'completed', approved: 1, denied: 1 });
    expect(log).toEqual([
      'asked a 1/2',
      'asked b 2/2',
      `sent a ${JSON.stringify({ approve: true, conversation_id: conversation, args_hash: 'a'.repeat(64), diff_hash: 'd'.repeat(64) })}`,
      `sent b ${JSON.stringify({ approve: false, conversation_id: conversation, args_hash: 'b'.repeat(64), reason: 'not b' })}`,
    ]);
  });
});

describe('a call whose dry-run preview failed (issue 31 item 10)', () => {
  const failed = {
    call_id: 'call_blind',
    tool: 'k8s_set_image',
    args: { resource_name: 'web' },
    args_hash: 'a'.repeat(64),
    risks: [{ code: 'PREVIEW_FAILED', severity: 'high', message: 'The dry-run preview failed (the cluster was unreachable)' }],
    context: { conversation_id: 'conv', approval_decisions: {} },
  } as unknown as AwaitingApproval;

  it('--approve-all leaves it pending (only a person approves without a preview), and still approves a previewed call', async () => {
    const stderr: string[] = [];
    const context = { options: { approveAll: true }, io: { stderr: { write: (text: string) => void stderr.push(text) } } } as unknown as Parameters<typeof decider>[0];
    const position: DecisionPosition = { index: 0, total: 1, calls: [failed] };
    expect(await decider(context)(failed, position)).toEqual({ leave: true, why: 'the dry-run preview of k8s_set_image failed; --approve-all does not approve a call without a preview' });
    expect(stderr.join('')).toMatch(/--approve-all left k8s_set_image .* pending: its dry-run preview failed/);
    const previewed = { ...failed, risks: [], diff: '-a\n+b', diff_hash: 'd'.repeat(64) } as unknown as AwaitingApproval;
    expect(await decider(context)(previewed, position)).toMatchObject({ approve: true, automatic: true });
  });

  it('a person who confirmed approving without a preview: the decision says so', async () => {
    const blind = call('blind', 'c');
    const sent: Array<Record<string, unknown>> = [];
    const client = {
      chat: async () => events([{ type: 'ready', run_id: 'r1', conversation_id: conversation } as AgentEvent, blind, completedAwaiting]),
      decide: async ({ decision }: { decision: Record<string, unknown> }) => {
        sent.push(decision);
        return events([completedDone]);
      },
      stop: async () => ({}),
    } as unknown as ApiClient;
    const outcome = await runTurn({ client, message: 'set the image', onEvent: () => undefined, decide: async () => ({ approve: true, withoutPreview: true }) }).done;
    expect(outcome).toMatchObject({ status: 'completed', approved: 1 });
    expect(sent).toEqual([{ approve: true, conversation_id: conversation, args_hash: 'c'.repeat(64), approve_without_preview: true }]);
  });
});

describe('a call whose preview failed on a cluster that enforces approvals (issue 73 item 6)', () => {
  const risk = { code: 'PREVIEW_REQUIRED', severity: 'high', message: 'The dry-run preview failed (forbidden). Cluster prod enforces approvals: fix the cause shown and ask for the change again, or deny it.' };
  const blocked = {
    call_id: 'call_blocked',
    tool: 'k8s_patch',
    args: { name: 'web' },
    args_hash: 'b'.repeat(64),
    risks: [risk],
    preview_error: 'deployments.apps "web" is forbidden: User "skyflo-mcp" cannot patch resource "deployments"',
    context: { conversation_id: 'conv', approval_decisions: {} },
  } as unknown as AwaitingApproval;
  const position: DecisionPosition = { index: 0, total: 1, calls: [blocked] };
  const engineReason = `Tool call call_blocked cannot be approved. ${risk.message}`;

  /** A terminal that presses `keys` in turn and answers any question but the denial's with "yes" (which would approve blind). */
  function terminal(keys: string[]) {
    const printed: string[] = [];
    const questions: string[] = [];
    const identity = new Proxy({}, { get: () => (text: string) => text });
    const context = {
      options: {},
      env: { configDir: '/nonexistent' },
      io: { stdout: { write: (text: string) => void printed.push(text), columns: 100 }, stderr: { write: () => true } },
      input: {
        isTTY: true,
        readKey: async (_names: string[], options: { typeahead?: { onReady(): void } }) => {
          options.typeahead?.onReady();
          const name = keys.shift();
          return name === undefined ? { kind: 'eof' } : { kind: 'key', name };
        },
        readLine: async (question: string) => {
          questions.push(question);
          return { kind: 'line', text: /Why deny/.test(question) ? '' : 'yes' };
        },
      },
      renderer: { approvalCard: () => undefined, info: (text: string) => void printed.push(text), diffLinesShown: () => 20 },
      palette: identity,
    } as unknown as Parameters<typeof decider>[0];
    return { context, printed, questions };
  }
  const listing = (item: Record<string, unknown>) => ({ pendingApprovals: async () => ({ data: [{ call_id: 'call_blocked', ...item }] }) }) as unknown as ApiClient;

  it('the engine lists it deny-only: the card says why, offers no [a], never asks "without a preview?", and [d] denies', async () => {
    const { context, printed, questions } = terminal(['a', 'd']);
    const decision = await decider(context, listing({ can_decide: false, can_deny: true, cannot_decide_reason: engineReason }))(blocked, position);
    expect(decision).toEqual({ approve: false });
    const text = printed.join('\n');
    expect(text).toContain('╰─ ✗ cannot be approved: nobody can approve this call on this cluster: its dry-run preview failed and the cluster enforces approvals');
    expect(text).not.toContain('[a] approve');
    expect(text).toContain('[d] deny');
    // [a] is answered with why, not with the question that would approve it blind
    expect(text).toMatch(/not approved: nobody can approve this call on this cluster.*\(d denies it; Ctrl-C leaves it pending\)/);
    expect(questions).toEqual(['Why deny it? (the agent is told; Enter for no reason): ']);

    // someone who may not deny it either (a member, approver policy) waits for an approver, as before
    const member = terminal([]);
    const policy = 'APPROVAL_POLICY=approver: only users with the approver or admin role decide mutating calls; ask an approver (they see it under Pending approvals).';
    expect(await decider(member.context, listing({ can_decide: false, can_deny: false, cannot_decide_reason: policy }))(blocked, position)).toMatchObject({ leave: true });
    expect(member.printed.join('\n')).toContain('waiting for an approver');
  });

  it('an engine that does not say can_deny (or an unreadable list): the card\'s own risk is enough', async () => {
    const { context, printed, questions } = terminal(['a', 'y', 'd']);
    const decision = await decider(context, listing({ can_decide: true }))(blocked, position);
    expect(decision).toEqual({ approve: false });
    expect(printed.join('\n')).toContain('╰─ ✗ cannot be approved:');
    expect(questions.some((question) => /without a preview/.test(question))).toBe(false);
  });

  it('--approve-all leaves it pending and says nobody can approve it there', async () => {
    const stderr: string[] = [];
    const context = { options: { approveAll: true }, io: { stderr: { write: (text: string) => void stderr.push(text) } } } as unknown as Parameters<typeof decider>[0];
    expect(await decider(context)(blocked, position)).toEqual({ leave: true, why: 'k8s_patch cannot be approved: its dry-run preview failed on a cluster that enforces approvals' });
    expect(stderr.join('')).toMatch(/--approve-all left k8s_patch .* pending: nobody can approve this call on this cluster/);
  });
});
