/**
 * The chat store's approval flow against a fake engine (fetch returning SSE bodies): "Approve all" decides exactly
 * the cards that were on screen at the click, one after the other, each bound to the args_hash and diff_hash its card
 * showed; a gated call that was never previewed, or one proposed after the click, is not decided by it; a message
 * queued meanwhile is only sent after the last decision's run ends.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useChatStore } from '../src/features/chat/state/chat-store.ts';
import { decisionTargets } from '../src/features/chat/state/chat-store.ts';
import { pendingApprovals } from '../src/features/chat/state/timeline.ts';

const conversation = '11111111-1111-4111-8111-111111111111';
const hashA = 'a'.repeat(64);
const hashB = 'b'.repeat(64);
const diffHashA = 'd'.repeat(64);
const diffHashB = 'e'.repeat(64);

function sse(runId: string, events: Array<Record<string, unknown>>): Response {
  const frames = [`event: ready\ndata: ${JSON.stringify({ type: 'ready', run_id: runId, conversation_id: conversation })}\n\n`];
  events.forEach((event, index) => frames.push(`id: ${index + 1}\nevent: ${event['type']}\ndata: ${JSON.stringify({ ...event, run_id: runId, conversation_id: conversation })}\n\n`));
  return new Response(frames.join(''), { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

const tool = (callId: string) => ({ call_id: callId, tool: 'k8s_scale', title: 'Scale', args: { name: callId } });
/** the segment of a card of `callId` in the stored turn (awaiting approval unless `fields` say otherwise) */
const card = (callId: string, fields: Record<string, unknown> = {}) => ({ kind: 'tool', id: callId, toolExecution: { ...tool(callId), status: 'awaiting_approval', requires_approval: true, ...fields, timestamp: 2 } });

/**
 * Stubs fetch with a fake engine: the conversation titled `title` (the user's `asked`, then one assistant turn of
 * `segments`), and `routes`' answers by the end of the URL; anything else is a 500. Returns every request made, with
 * its JSON body.
 */
function fakeEngine(title: string, asked: string, segments: unknown[], routes: Record<string, () => Response> = {}): Array<{ url: string; body: unknown }> {
  const requests: Array<{ url: string; body: unknown }> = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      requests.push({ url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (url.endsWith(`/conversations/${conversation}`)) {
        return Response.json({ id: conversation, title, messages: [{ id: 'u', type: 'user', content: asked, timestamp: 1 }, { id: 'assistant-r0', type: 'assistant', content: '', timestamp: 2, segments }] });
      }
      for (const [ending, answer] of Object.entries(routes)) if (url.endsWith(ending)) return answer();
      return new Response('{"detail":"unexpected"}', { status: 500 });
    }),
  );
  return requests;
}

afterEach(() => {
  vi.unstubAllGlobals();
  useChatStore.getState().close();
});

describe('approval flow in the chat store', () => {
  it('Approve all: the two cards on screen, decided in order with the hashes they showed, then the queued message', async () => {
    const requests = fakeEngine('Scale two', 'scale both', [card('a', { args_hash: hashA, diff: '-1\n+2', diff_hash: diffHashA }), card('b', { args_hash: hashB, diff: '-1\n+3', diff_hash: diffHashB })], {
      '/agent/approvals/a': () =>
        sse('r1', [
          { type: 'tool.approved', ...tool('a') },
          { type: 'tool.result', ...tool('a'), result: [{ type: 'text', text: 'scaled a' }] },
          { type: 'tool.awaiting_approval', ...tool('b'), args_hash: hashB, diff: '-1\n+3', diff_hash: diffHashB, context: { conversation_id: conversation, approval_decisions: {} } },
          { type: 'completed', status: 'completed', duration: 0, duration_ms: 1, awaiting_approval: true },
        ]),
      '/agent/approvals/b': () =>
        sse('r2', [
          { type: 'tool.approved', ...tool('b') },
          { type: 'tool.result', ...tool('b'), result: [{ type: 'text', text: 'scaled b' }] },
          { type: 'generation.complete', content: 'Both done.', tokens_generated: 2, tool_calls: 0, timestamp: 50 },
          { type: 'completed', status: 'completed', duration: 0, duration_ms: 1 },
        ]),
      '/agent/chat': () =>
        sse('r3', [
          { type: 'generation.complete', content: 'Next answered.', tokens_generated: 2, tool_calls: 0, timestamp: 60 },
          { type: 'completed', status: 'completed', duration: 0, duration_ms: 1 },
        ]),
    });

    const store = useChatStore.getState();
    await store.open(conversation);
    expect(useChatStore.getState().timeline.status).toBe('awaiting_approval');

    useChatStore.getState().send('and then restart it');
    expect(useChatStore.getState().queue.map((item) => item.content)).toEqual(['and then restart it']);

    const progress: string[] = [];
    const unsubscribe = useChatStore.subscribe((state) => {
      const label = state.batch ? `${state.batch.done + 1}/${state.batch.total}` : '';
      if (label && progress.at(-1) !== label) progress.push(label);
    });
    await useChatStore.getState().decideAll(true, decisionTargets(useChatStore.getState().timeline));
    unsubscribe();
    await vi.waitFor(() => expect(useChatStore.getState().timeline.status).toBe('idle'));
    await vi.waitFor(() => expect(requests.some((request) => request.url.endsWith('/agent/chat'))).toBe(true));
    await vi.waitFor(() => expect(JSON.stringify(useChatStore.getState().timeline.entries)).toContain('Next answered.'));

    expect(progress).toEqual(['1/2', '2/2']);
    // the decisions and the chat (an approval first reads the queue to learn whether the call needs a passkey: issue 35)
    const sent = requests.filter((request) => !request.url.includes('/conversations/') && !request.url.endsWith('/approvals/pending'));
    expect(sent.map((request) => request.url.replace('/api/v1', ''))).toEqual(['/agent/approvals/a', '/agent/approvals/b', '/agent/chat']);
    expect(sent[0].body).toEqual({ approve: true, conversation_id: conversation, args_hash: hashA, diff_hash: diffHashA });
    expect(sent[1].body).toEqual({ approve: true, conversation_id: conversation, args_hash: hashB, diff_hash: diffHashB });
    expect(sent[2].body).toEqual({ messages: [{ role: 'user', content: 'and then restart it' }], conversation_id: conversation });
    expect(pendingApprovals(useChatStore.getState().timeline)).toEqual([]);
    expect(useChatStore.getState().queue).toEqual([]);
  });

  it('Approve all covers only the cards shown at the click: a never-previewed call and one proposed later are left alone', async () => {
    const requests = fakeEngine(
      'Scale',
      'scale',
      [
        card('a', { args_hash: hashA }),
        // gated but never previewed: no card, no hash — nobody saw what it does
        card('p', { status: 'pending' }),
      ],
      {
        // approving a lets the model propose c: a new card that appears after the click
        '/agent/approvals/a': () =>
          sse('r1', [
            { type: 'tool.approved', ...tool('a') },
            { type: 'tool.result', ...tool('a'), result: [{ type: 'text', text: 'scaled a' }] },
            { type: 'tool.awaiting_approval', ...tool('c'), args_hash: 'c'.repeat(64), context: { conversation_id: conversation, approval_decisions: {} } },
            { type: 'completed', status: 'completed', duration: 0, duration_ms: 1, awaiting_approval: true },
          ]),
      },
    );
    await useChatStore.getState().open(conversation);
    const targets = decisionTargets(useChatStore.getState().timeline);
    expect(targets).toEqual([{ call_id: 'a', args_hash: hashA }]);
    await useChatStore.getState().decideAll(true, targets);
    await vi.waitFor(() => expect(useChatStore.getState().batch).toBeUndefined());
    const decisions = requests.filter((request) => request.url.includes('/agent/approvals/')).map((request) => request.url.replace('/api/v1', ''));
    expect(decisions).toEqual(['/agent/approvals/a']);
    expect(pendingApprovals(useChatStore.getState().timeline).map((item) => item.call_id)).toEqual(['c']);
  });

  it('a card is not decided while the run still previews the turn, nor with a preview other than the one it showed', async () => {
    const requests = fakeEngine('Scale', 'scale', [card('a', { args_hash: hashA })]);
    await useChatStore.getState().open(conversation);
    await useChatStore.getState().decide({ call_id: 'a', args_hash: hashB }, true);
    expect(useChatStore.getState().timeline.error).toMatch(/preview of k8s_scale changed after it was shown/);
    useChatStore.setState({ timeline: { ...useChatStore.getState().timeline, status: 'streaming', error: undefined } });
    await useChatStore.getState().decide({ call_id: 'a', args_hash: hashA }, true);
    expect(useChatStore.getState().timeline.error).toMatch(/still preparing this turn/);
    expect(requests.filter((request) => request.url.includes('/agent/approvals/'))).toEqual([]);
  });

  it('a call whose dry-run preview failed is approved only "without a preview", which the decision says; Approve all stops at it', async () => {
    const previewFailed = { code: 'PREVIEW_FAILED', severity: 'high', message: 'The dry-run preview failed (the cluster was unreachable), so nobody has seen what this call would change' };
    const requests = fakeEngine('Scale', 'scale', [card('a', { args_hash: hashA, risks: [previewFailed] })], {
      '/agent/approvals/a': () => sse('r1', [{ type: 'tool.approved', ...tool('a') }, { type: 'completed', status: 'completed', duration: 0, duration_ms: 1 }]),
    });
    await useChatStore.getState().open(conversation);
    await useChatStore.getState().decideAll(true, decisionTargets(useChatStore.getState().timeline));
    expect(useChatStore.getState().timeline.error).toBe('The dry-run preview of k8s_scale failed; approve it on its card, with "approve without a preview" ticked.');
    await useChatStore.getState().decide({ call_id: 'a', args_hash: hashA }, true);
    expect(requests.filter((request) => request.url.includes('/agent/approvals/'))).toEqual([]);

    await useChatStore.getState().decide({ call_id: 'a', args_hash: hashA }, true, undefined, undefined, true);
    expect(requests.filter((request) => request.url.includes('/agent/approvals/')).map((request) => request.body)).toEqual([{ approve: true, conversation_id: conversation, args_hash: hashA, approve_without_preview: true }]);
  });

  it('a call whose preview failed on a cluster that enforces approvals (PREVIEW_REQUIRED) is never approved from the page, "without a preview" or not; Deny is sent', async () => {
    const previewRequired = { code: 'PREVIEW_REQUIRED', severity: 'high', message: 'The dry-run preview failed (forbidden). Cluster prod enforces approvals: fix the cause shown and ask for the change again, or deny it.' };
    const requests = fakeEngine('Scale', 'scale', [card('a', { args_hash: hashA, risks: [previewRequired] })], {
      '/agent/approvals/a': () => sse('r1', [{ type: 'tool.denied', ...tool('a') }, { type: 'completed', status: 'completed', duration: 0, duration_ms: 1 }]),
    });
    await useChatStore.getState().open(conversation);
    const refused = 'k8s_scale cannot be approved: its dry-run preview failed and its cluster enforces approvals (its card says why); deny it, or fix the cause and ask again.';
    await useChatStore.getState().decideAll(true, decisionTargets(useChatStore.getState().timeline));
    expect(useChatStore.getState().timeline.error).toBe(refused);
    await useChatStore.getState().decide({ call_id: 'a', args_hash: hashA }, true, undefined, undefined, true);
    expect(useChatStore.getState().timeline.error).toBe(refused);
    expect(requests.filter((request) => request.url.includes('/agent/approvals/'))).toEqual([]);

    await useChatStore.getState().decide({ call_id: 'a', args_hash: hashA }, false);
    expect(requests.filter((request) => request.url.includes('/agent/approvals/')).map((request) => request.body)).toEqual([{ approve: false, conversation_id: conversation, args_hash: hashA }]);
  });
});
