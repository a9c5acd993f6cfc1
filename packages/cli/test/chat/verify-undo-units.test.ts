/**
 * Verify, then undo (issue 21) in `skyflo chat`'s parts, without a terminal: the verification line under a change
 * (outcome, summary, bounded evidence; stdout left to the answer in plain mode), the approval card of a call with an
 * inverse (`a!` offered and the inverse shown before deciding) or of an undo (what it undoes first), the `a!` key
 * standing alone like any decision key, and a turn that undoes a call and approves its inverse with automatic revert.
 */
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { conversationDetailSchema, type AgentEvent } from '@skyflo/protocol';
import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../src/chat/api-client.ts';
import { formatApprovalCard, type AwaitingApproval } from '../../src/chat/approval-card.ts';
import { createPalette } from '../../src/chat/colors.ts';
import type { Context } from '../../src/chat/chat-context.ts';
import { createRenderer } from '../../src/chat/renderer.ts';
import { showHistory } from '../../src/chat/slash-commands.ts';
import { runTurn, type Decision } from '../../src/chat/run-turn.ts';
import { createTerminalInput, type KeyResult, type TypeaheadGuard } from '../../src/chat/terminal-input.ts';
import { evidenceLines, lastUndoable, verificationLine, verifyingLabel, type VerificationEvent } from '../../src/chat/verification-lines.ts';

const palette = createPalette(false);
const conversation = '22222222-2222-4222-8222-222222222222';
const base = { run_id: 'r1', conversation_id: conversation };
const setImage = { call_id: 'call_set', tool: 'k8s_set_image', title: 'Set image', args: { namespace: 'shop', name: 'web', image: 'web:9.9' } };
const verification = (extra: Partial<VerificationEvent>): VerificationEvent => ({ type: 'tool.verification', ...base, call_id: 'call_set', tool: 'k8s_set_image', outcome: 'verifying', summary: '', evidence: [], ...extra });
const pods = Array.from({ length: 10 }, (_, index) => `web-7d9-${index}   0/1   ImagePullBackOff   0   ${index}s`).join('\n');

function capture() {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), columns: 100, rows: 40, text: () => stripVTControlCharacters(text) };
}

/** What a resumed conversation shows (`/resume`) for these stored entries, read as GET /conversations/:id returns them, through the client's schema. */
function resumed(messages: unknown[], title = 'Roll web to 9.9'): string {
  const stored = conversationDetailSchema.parse({ id: conversation, title, updated_at: '2026-11-28T22:00:00Z', messages });
  const out = capture();
  const renderer = createRenderer({ style: 'tty', palette, colors: false, out, err: capture() });
  showHistory({ palette, renderer, io: { stdout: out } } as unknown as Context, stored);
  return out.text();
}

describe('the verification line', () => {
  it('says each outcome in words and a mark, naming the controller that reverted the change', () => {
    expect(verificationLine(verification({ outcome: 'verified', summary: '3/3 replicas of shop/web ready on web:2.1' }), palette)).toBe('  ↳ ✓ verified: 3/3 replicas of shop/web ready on web:2.1');
    expect(verificationLine(verification({ outcome: 'reverted_by_controller', controller: 'HorizontalPodAutoscaler shop/web', summary: 'replicas set back to 3' }), palette)).toBe(
      '  ↳ ↺ reverted by HorizontalPodAutoscaler shop/web: replicas set back to 3',
    );
    expect(verificationLine(verification({ outcome: 'timed_out', summary: 'no verdict in 120 s' }), palette)).toBe('  ↳ ⏱ timed out: no verdict in 120 s');
    expect(verificationLine(verification({ outcome: 'not_applicable', summary: 'nothing to check' }), palette)).toBe('  ↳ – not checked: nothing to check');
    // issue 76: the emergency stop ended it
    expect(verificationLine(verification({ outcome: 'stopped', summary: 'the emergency stop was engaged while it was checked' }), palette)).toBe('  ↳ ■ ended by the emergency stop: the emergency stop was engaged while it was checked');
  });

  it('the spinner names the change being verified once, and how long it may take when the engine says so', () => {
    // an older engine's first summary only repeats the tool ("Verifying k8s_set_image…")
    expect(verifyingLabel(verification({ summary: 'Verifying k8s_set_image…' }), 100)).toBe('verifying k8s_set_image…');
    expect(verifyingLabel(verification({ summary: 'Verifying k8s_set_image…', undo_of: 'call_a' }), 44)).toBe('verifying k8s_set_image (the undo)…');
    expect(verifyingLabel(verification({ summary: 'up to 120 s' }), 44)).toBe('verifying k8s_set_image: up to 120 s');
  });

  it('bounds the evidence: three reads of six lines at most, each cut to the width, and says what it left out', () => {
    const evidence = [1, 2, 3, 4].map((index) => ({ read: `read ${index}`, text: pods }));
    const lines = evidenceLines(evidence, palette, { width: 60 });
    expect(lines.filter((line) => /│ read \d$/.test(line))).toHaveLength(3);
    expect(lines.filter((line) => line.includes('ImagePullBackOff'))).toHaveLength(18);
    expect(lines.filter((line) => line.includes('… 4 more lines'))).toHaveLength(3);
    expect(lines.at(-1)).toContain('… 1 more read');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(60);
  });

  it('on a terminal: the tool line, "verifying", then the outcome in its place with the evidence and the way to undo', () => {
    const out = capture();
    const renderer = createRenderer({ style: 'tty', palette, colors: false, out, err: capture() });
    renderer.event({ type: 'tool.result', ...base, ...setImage, result: [{ type: 'text', text: 'deployment.apps/web image updated' }], undo_available: true });
    renderer.event(verification({ outcome: 'verifying', summary: 'watching the rollout of shop/web' }));
    expect(out.text()).toContain('↳ … verifying k8s_set_image: watching the rollout of shop/web');
    renderer.event(verification({ outcome: 'regressed', summary: 'new pods of shop/web cannot pull web:9.9', evidence: [{ read: 'pods -n shop -l app=web', text: pods }] }));
    const text = out.text();
    expect(text).toContain('✓ k8s_set_image');
    expect(text).toContain('↳ ✗ regressed: new pods of shop/web cannot pull web:9.9');
    expect(text).toContain('│ pods -n shop -l app=web');
    expect(text).toContain('… 4 more lines');
    expect(text).toContain('/undo proposes its inverse');
    // the outcome is written over the "verifying" line (cursor up, erase), not under it
    expect(text.indexOf('regressed')).toBeGreaterThan(text.indexOf('verifying'));
  });

  it('on a phone-sized terminal (44 columns): the outcome says what regressed whole, wrapped under its line', () => {
    const out = { ...capture(), columns: 44 };
    const renderer = createRenderer({ style: 'tty', palette, colors: false, out, err: capture() });
    renderer.event({ type: 'tool.result', ...base, ...setImage, result: [{ type: 'text', text: 'deployment.apps/web image updated' }], undo_available: true });
    renderer.event(verification({ outcome: 'regressed', summary: '1 new pod(s) of deployment shop/web: ImagePullBackOff', evidence: [{ read: 'pods -n shop -l app=web', text: pods }] }));
    const rows = out.text().split('\n');
    const start = rows.findIndex((row) => row.includes('↳ ✗ regressed'));
    // "ImagePullBackOff" was cut away at the width before ("1 new pod(s) of deployme…")
    expect(rows.slice(start, start + 3).join(' ').replace(/\s+/g, ' ')).toContain('↳ ✗ regressed: 1 new pod(s) of deployment shop/web: ImagePullBackOff');
    expect(rows[start + 1]).toMatch(/^ {4}\S/);
    expect(Math.max(...rows.map((row) => row.length))).toBeLessThanOrEqual(44);
  });

  it('piped (plain): stdout keeps only the answer; the outcome goes to stderr', () => {
    const out = capture();
    const err = capture();
    const renderer = createRenderer({ style: 'plain', palette, colors: false, out, err });
    renderer.event(verification({ outcome: 'verifying', summary: 'watching' }));
    renderer.event(verification({ outcome: 'verified', summary: '3/3 replicas ready' }));
    expect(out.text()).toBe('');
    expect(err.text()).toBe('skyflo: ✓ verified: 3/3 replicas ready (k8s_set_image)\n');
  });
});

describe('a resumed conversation', () => {
  it('shows what the verification of each change found, as the live stream did: the outcome, the evidence and the way to undo', () => {
    const text = resumed([
      { id: 'u1', type: 'user', content: 'set web to 9.9', timestamp: 1 },
      {
        id: 'a1',
        type: 'assistant',
        content: 'The new pods cannot pull web:9.9.',
        timestamp: 2,
        segments: [
          { kind: 'tool', id: 'call_scale', toolExecution: { call_id: 'call_scale', tool: 'k8s_scale', args: { namespace: 'shop', name: 'web', replicas: 3 }, status: 'completed', verification: { outcome: 'verified', summary: '3/3 replicas of shop/web ready', evidence: [] } } },
          {
            kind: 'tool',
            id: 'call_set',
            toolExecution: {
              ...setImage,
              status: 'completed',
              undo_available: true,
              verification: { outcome: 'regressed', summary: 'new pods of shop/web cannot pull web:9.9', evidence: [{ read: 'pods -n shop -l app=web', text: pods }] },
            },
          },
          {
            kind: 'tool',
            id: 'call_replicas',
            toolExecution: { call_id: 'call_replicas', tool: 'k8s_scale', args: { namespace: 'shop', name: 'api', replicas: 0 }, status: 'completed', verification: { outcome: 'regressed', summary: 'shop/api serves nothing', evidence: [], auto_revert_call_id: 'call_revert' } },
          },
          // an odd record (an outcome this client does not know) is left out; the call's line is still shown
          { kind: 'tool', id: 'call_odd', toolExecution: { call_id: 'call_odd', tool: 'k8s_restart', args: {}, status: 'completed', verification: { outcome: 'exploded' } } },
        ],
      },
    ]);
    expect(text).toContain('↳ ✓ verified: 3/3 replicas of shop/web ready');
    expect(text).toContain('↳ ✗ regressed: new pods of shop/web cannot pull web:9.9');
    expect(text).toContain('│ pods -n shop -l app=web');
    expect(text).toContain('/undo proposes its inverse');
    expect(text).toContain('k8s_restart');
    // the automatic revert is told as past, not "runs … now"
    expect(text.replace(/\s+/g, ' ')).toContain('↺ automatic revert (approved with the change): the engine ran the recorded inverse (call_revert)');
    expect(text).not.toContain('inverse now');
    expect(text.match(/↳/g)).toHaveLength(3);
    // each outcome sits under its own call
    expect(text.indexOf('k8s_scale')).toBeLessThan(text.indexOf('✓ verified'));
    expect(text.indexOf('k8s_set_image')).toBeLessThan(text.indexOf('✗ regressed'));
    expect(text.indexOf('✗ regressed')).toBeLessThan(text.indexOf('k8s_restart'));
  });

  it('an answer that failed says why, and a stopped one says so, as the live stream ended them', () => {
    const text = resumed([
      { id: 'u1', type: 'user', content: 'tell me a slow story', timestamp: 1 },
      { id: 'a1', type: 'assistant', content: '', timestamp: 2, segments: [], error: 'No answer: the engine stopped while answering this (a restart or a crash), and what it had streamed was not kept. Ask again if it is still needed.', error_code: 'INTERRUPTED' },
      { id: 'u2', type: 'user', content: 'another one', timestamp: 3 },
      { id: 'a2', type: 'assistant', content: 'Once upon', timestamp: 4, segments: [{ kind: 'text', text: 'Once upon' }], stopped: true },
    ], 'Two questions').replace(/\s+/g, ' ');
    expect(text).toContain('you › tell me a slow story error: No answer: the engine stopped while answering this');
    expect(text).toContain('you › another one Once upon ■ stopped');
  });

  it('no longer offers /undo under a regressed change once its undo ran; a denied undo leaves it offered', () => {
    const historyWithUndo = (undoStatus: string) =>
      resumed([
        { id: 'u1', type: 'user', content: 'set web to 9.9', timestamp: 1 },
        {
          id: 'a1',
          type: 'assistant',
          content: 'Rolled back.',
          timestamp: 2,
          segments: [
            { kind: 'tool', id: 'call_set', toolExecution: { ...setImage, status: 'completed', undo_available: true, verification: { outcome: 'regressed', summary: 'new pods of shop/web cannot pull web:9.9', evidence: [] } } },
            { kind: 'tool', id: 'call_undo', toolExecution: { call_id: 'call_undo', tool: 'k8s_set_image', args: { namespace: 'shop', name: 'web', image: 'web:2.1' }, status: undoStatus, undo_of: 'call_set' } },
          ],
        },
      ]);
    const undone = historyWithUndo('completed');
    expect(undone).toContain('↳ ✗ regressed: new pods of shop/web cannot pull web:9.9');
    expect(undone).not.toContain('/undo proposes its inverse');
    expect(historyWithUndo('denied')).toContain('/undo proposes its inverse');
  });
});

describe('approval cards of verify/undo', () => {
  const awaiting = (extra: Partial<AwaitingApproval> = {}): AwaitingApproval => ({
    type: 'tool.awaiting_approval',
    ...base,
    ...setImage,
    args_hash: 'a'.repeat(64),
    diff: '-        image: web:2.1\n+        image: web:9.9\n',
    context: { conversation_id: conversation, approval_decisions: {} },
    ...extra,
  });

  it('a call with a recorded inverse shows it (summary and diff) and offers [a!]; one without offers no [a!]', () => {
    const card = formatApprovalCard(awaiting({ undo: { tool: 'k8s_set_image', args: { image: 'web:2.1' }, summary: 'set image of shop/web back to web:2.1', diff: '-        image: web:9.9\n+        image: web:2.1' } }), { palette });
    expect(card).toContain('if it regresses [a!] approves with automatic revert, which would run:');
    expect(card).toContain('│   k8s_set_image set image of shop/web back to web:2.1');
    expect(card).toMatch(/│ {3}\+ {8}image: web:2\.1/);
    expect(card.split('\n').at(-1)).toContain('[a!] approve with automatic revert');
    expect(formatApprovalCard(awaiting(), { palette })).not.toContain('[a!]');
  });

  it('an undo says what it undoes before anything else', () => {
    const card = formatApprovalCard(awaiting({ call_id: 'call_undo', undo_of: 'call_set' }), { palette, undoOfLabel: 'k8s_set_image namespace=shop name=web image=web:9.9' });
    expect(card.split('\n')[1]).toBe('│ ↶ UNDO OF k8s_set_image namespace=shop name=web image=web:9.9 (call_set)');
  });
});

describe('a! on the prompt', () => {
  function guarded() {
    const stdin = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode(on: boolean): unknown };
    stdin.isTTY = true;
    stdin.setRawMode = () => stdin;
    const input = createTerminalInput(stdin as unknown as NodeJS.ReadStream, new PassThrough() as unknown as NodeJS.WriteStream);
    let ready = false;
    const ignored: number[] = [];
    const guard: TypeaheadGuard = { quietMs: 40, onReady: () => (ready = true), onIgnored: (count) => ignored.push(count) };
    return { stdin, input, guard, ignored, isReady: () => ready };
  }

  it('"a!" standing alone is one choice; followed by more typing it is text; a lone "a" stays a plain approve', async () => {
    const first = guarded();
    let result: KeyResult | undefined;
    void first.input.readKey(['a', 'd', 'a!'], { typeahead: first.guard }).then((key) => (result = key));
    await vi.waitFor(() => expect(first.isReady()).toBe(true));
    first.stdin.write('a!x');
    await vi.waitFor(() => expect(first.ignored.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2));
    expect(result).toBeUndefined();
    first.stdin.write('a!');
    await vi.waitFor(() => expect(result).toEqual({ kind: 'key', name: 'a!' }));

    const second = guarded();
    let plain: KeyResult | undefined;
    void second.input.readKey(['a', 'd', 'a!'], { typeahead: second.guard }).then((key) => (plain = key));
    await vi.waitFor(() => expect(second.isReady()).toBe(true));
    second.stdin.write('a');
    await vi.waitFor(() => expect(plain).toEqual({ kind: 'key', name: 'a' }));
  });
});

async function* events(list: AgentEvent[]) {
  for (const event of list) yield { event };
}

describe('/undo as a turn', () => {
  it('asks the engine for the inverse of the call (not a chat message) and sends a! as auto_revert with the hashes shown', async () => {
    const sent: string[] = [];
    const inverse = { ...setImage, call_id: 'call_undo', args: { namespace: 'shop', name: 'web', image: 'web:2.1' } };
    const client = {
      chat: async () => {
        throw new Error('an undo sends no chat message');
      },
      undo: async ({ callId, conversationId }: { callId: string; conversationId: string }) => {
        sent.push(`undo ${callId} ${conversationId}`);
        return events([
          { type: 'ready', ...base } as AgentEvent,
          {
            type: 'tool.awaiting_approval',
            ...base,
            ...inverse,
            args_hash: 'b'.repeat(64),
            undo_of: 'call_set',
            undo: { tool: 'k8s_set_image', args: { image: 'web:9.9' }, summary: 'back to web:9.9' },
            context: { conversation_id: conversation, approval_decisions: {} },
          } as AgentEvent,
          { type: 'completed', ...base, status: 'completed', duration: 0, duration_ms: 1, awaiting_approval: true } as AgentEvent,
        ]);
      },
      decide: async ({ callId, decision }: { callId: string; decision: Record<string, unknown> }) => {
        sent.push(`decide ${callId} ${JSON.stringify(decision)}`);
        return events([{ type: 'completed', ...base, status: 'completed', duration: 0, duration_ms: 1 } as AgentEvent]);
      },
      stop: async () => ({}),
    } as unknown as ApiClient;
    const asked: string[] = [];
    const outcome = await runTurn({
      client,
      message: '/undo',
      conversationId: conversation,
      undoOf: 'call_set',
      onEvent: () => undefined,
      decide: async (approval): Promise<Decision> => {
        asked.push(`${approval.call_id} undo_of=${approval.undo_of}`);
        return { approve: true, autoRevert: true };
      },
    }).done;
    expect(outcome).toMatchObject({ status: 'completed', approved: 1 });
    expect(asked).toEqual(['call_undo undo_of=call_set']);
    expect(sent).toEqual([`undo call_set ${conversation}`, `decide call_undo ${JSON.stringify({ approve: true, conversation_id: conversation, args_hash: 'b'.repeat(64), auto_revert: true })}`]);
  });

  it('takes the last executed change with a recorded before-state that has no undo yet', () => {
    const done = (id: string, extra = {}) => ({ call_id: id, tool: 't', status: 'completed', undo_available: true, ...extra });
    expect(lastUndoable([done('one'), done('two'), { call_id: 'read', tool: 'k8s_get', status: 'completed' }])?.call_id).toBe('two');
    expect(lastUndoable([done('one'), done('two'), done('u2', { undo_available: false, undo_of: 'two' })])?.call_id).toBe('one');
    expect(lastUndoable([done('one'), { call_id: 'u1', tool: 't', status: 'denied', undo_of: 'one' }])?.call_id).toBe('one');
    expect(lastUndoable([{ call_id: 'x', tool: 't', status: 'error', undo_available: true }])).toBeUndefined();
  });

  it('skips a change a controller already set back (issue 37: nothing to undo)', () => {
    const done = (id: string, extra = {}) => ({ call_id: id, tool: 't', status: 'completed', undo_available: true, ...extra });
    expect(lastUndoable([done('one'), done('two', { verification: { outcome: 'reverted_by_controller' } })])?.call_id).toBe('one');
    expect(lastUndoable([done('one', { verification: { outcome: 'verified' } })])?.call_id).toBe('one');
  });
});
