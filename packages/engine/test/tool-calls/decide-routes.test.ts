/**
 * Issue 31 items 8, 10 and 15 end to end: who may decide a call is answered by one function (tool-calls/decide), so
 * GET /approvals/pending (`can_decide`, `cannot_decide_reason`) and POST /agent/approvals/:call_id answer the same
 * cases the same way. The all-in-one engine (APPROVAL_POLICY=approver, APPROVAL_FOUR_EYES, PGlite, embedded MCP
 * server) on two kube-sims (`alpha`, `beta`), llm-sim as the model; the clusters are read back with the real kubectl.
 *
 * Also: a call whose dry run finds no target is refused before anyone is asked (its result tells the model why);
 * a call whose preview failed otherwise is a high risk (four-eyes) and is approved only "without a preview",
 * which the audit trail records.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testPassword } from '../support/test-engine.ts';
import { deploymentIn, find, shopAndPaymentsNamespaces, startTwoClusterEngine, type TwoClusterEngine } from '../clusters/harness.ts';
import { openNotificationStream, type LiveStream } from '../support/team-engine.ts';

const web = `---\n${deploymentIn('shop', 'web', 1)}`;
const idle = `---\n${deploymentIn('shop', 'idle', 0)}`;

let fx: TwoClusterEngine;
/** alf's live notifications (GET /notifications/stream), open before any call is proposed */
let alfNotifications: LiveStream;
/** session tokens by person, plus zoe's API token made for `skyflo chat` (chat and approvals:read, no approvals:write) */
const tokens: Record<string, string> = {};
/** the calls waiting, by name: their conversation and the args_hash/diff_hash the card showed */
const calls: Record<string, { conversationId: string; callId: string; argsHash: string; diffHash?: string }> = {};

/** One chat turn in which the model loads the k8s write tools and proposes `tool` with `args`. */
async function propose(token: string, callId: string, tool: string, args: Record<string, unknown>, context?: string) {
  fx.sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: `load_${callId}`, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: callId, name: tool, arguments: args }] } },
      { match: { always: true }, reply: 'Done.' },
    ],
  });
  return fx.stream('/agent/chat', { messages: [{ role: 'user', content: `${tool} please` }], ...(context ? { context } : {}) }, token);
}

async function proposeAwaiting(name: string, token: string, tool: string, args: Record<string, unknown>, context?: string) {
  const { frames } = await propose(token, `call_${name}`, tool, args, context);
  const awaiting = find(frames, 'tool.awaiting_approval')[0];
  expect(awaiting, JSON.stringify(find(frames, 'tool.error'))).toBeDefined();
  calls[name] = { conversationId: String(frames[0]!.data['conversation_id']), callId: `call_${name}`, argsHash: String(awaiting!['args_hash']), ...(awaiting!['diff_hash'] ? { diffHash: String(awaiting!['diff_hash']) } : {}) };
  return awaiting!;
}

beforeAll(async () => {
  fx = await startTwoClusterEngine({
    prefix: 'skyflo-decide-',
    env: { APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true', TITLE_GENERATION_ENABLED: 'false' },
    async seed({ applyOn }) {
      await applyOn(['alpha'], 'web.yaml', `${shopAndPaymentsNamespaces}${web}`);
      await applyOn(['alpha'], 'idle.yaml', idle);
      await applyOn(['beta'], 'web.yaml', `${shopAndPaymentsNamespaces}${web}`);
    },
  });
  const login = async (email: string) => {
    const response = await fetch(`${fx.base}/api/v1/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: email, password: testPassword }) });
    return ((await response.json()) as { access_token: string }).access_token;
  };
  for (const name of ['ann', 'zoe', 'alf']) {
    const added = await fx.api('POST', '/team/members', fx.adminToken, { email: `${name}@example.test`, role: 'approver', password: testPassword });
    expect(added.status).toBe(201);
    // alf approves on cluster alpha only
    if (name === 'alf') expect((await fx.api('PATCH', `/team/members/${String(added.json['id'])}/scope`, fx.adminToken, { clusters: ['alpha'] })).status).toBe(200);
    tokens[name] = await login(`${name}@example.test`);
  }
  tokens['member'] = fx.memberToken;
  const chatToken = await fx.api('POST', '/auth/tokens', tokens['zoe']!, { name: 'zoe terminal', scopes: ['chat', 'approvals:read'] });
  expect(chatToken.status).toBe(201);
  tokens['zoe-chat-token'] = String(chatToken.json['token']);
  alfNotifications = await openNotificationStream(fx.base, tokens['alf']!);
  expect(alfNotifications.status).toBe(200);

  // on beta, asked by a member; on alpha, a destructive call asked by ann; on alpha, ann's call whose preview fails
  // in a conversation pinned to alpha (the current cluster), so alf, limited to alpha, reaches it (issue 74 item 8)
  await proposeAwaiting('scale_beta', tokens['member']!, 'k8s_scale', { name: 'web', resource_type: 'deployment', namespace: 'shop', replicas: 3, context: 'beta' });
  await proposeAwaiting('scale_to_zero', tokens['ann']!, 'k8s_scale', { name: 'web', resource_type: 'deployment', namespace: 'shop', replicas: 0 });
  // waking a deployment scaled to zero: its inverse (back to 0) is destructive
  await proposeAwaiting('wake', tokens['ann']!, 'k8s_scale', { name: 'idle', resource_type: 'deployment', namespace: 'shop', replicas: 2 });
  await proposeAwaiting('no_preview', tokens['ann']!, 'k8s_set_image', { resource_name: 'web', resource_type: 'deployment', namespace: 'shop', container_images: 'web:nginx:1.28' });
}, 180_000);

afterAll(async () => {
  alfNotifications?.close();
  await fx?.close();
});

const outOfScope = 'Tool call call_scale_beta changes cluster beta, namespace shop, which is outside your scope; someone whose scope includes it must approve it.';
const memberRole = 'APPROVAL_POLICY=approver, no cluster policy for beta: only users with the approver or admin role decide mutating calls; ask an approver (they see it under Pending approvals).';
const chatOnly =
  'API token "zoe terminal" lacks the scope approvals:write needed to approve or deny calls (a chat token can ask and read, not decide); decide in the Command Center, or create a token with approvals:write in Settings → API tokens.';
const fourEyesDestructive = 'Four-eyes (APPROVAL_FOUR_EYES): this call is destructive, so someone other than the person who asked for it must approve or deny it.';
const fourEyesNoPreview = 'Four-eyes (APPROVAL_FOUR_EYES): this call carries a high risk (PREVIEW_FAILED), so someone other than the person who asked for it must approve or deny it.';
const notAcknowledged =
  'Tool call call_no_preview has no dry-run preview (it failed), so nobody has seen what it would change; approve it only by ticking "approve without a preview" (approve_without_preview: true, recorded in the audit trail), or deny it and ask for a call that can be previewed.';

describe('the pending list and the decision answer the same cases the same way', () => {
  // [case, who asks, which call, what the list says (undefined: can decide), what an approval answers]
  it.each<[string, string, string, string | undefined, { status: number; detail: string }]>([
    ['an approver limited to cluster alpha, on a call on beta', 'alf', 'scale_beta', outOfScope, { status: 403, detail: outOfScope }],
    ['a member, on the call they asked for (approver mode)', 'member', 'scale_beta', memberRole, { status: 403, detail: memberRole }],
    ["an approver's chat token without approvals:write", 'zoe-chat-token', 'scale_beta', chatOnly, { status: 403, detail: chatOnly }],
    ['four-eyes: the requester of a destructive call', 'ann', 'scale_to_zero', fourEyesDestructive, { status: 403, detail: fourEyesDestructive }],
    ['four-eyes: the requester of a call whose preview failed', 'ann', 'no_preview', fourEyesNoPreview, { status: 403, detail: fourEyesNoPreview }],
    ['another approver, a failed preview not acknowledged: listed as decidable, the approval must say "without a preview"', 'zoe', 'no_preview', undefined, { status: 400, detail: notAcknowledged }],
  ])('%s', async (_case, who, name, listed, decision) => {
    const call = calls[name]!;
    const pending = await fx.api('GET', '/approvals/pending', tokens[who]!);
    expect(pending.status).toBe(200);
    const entry = (pending.json['data'] as Array<Record<string, unknown>>).find((item) => item['call_id'] === call.callId);
    expect(entry).toMatchObject({ can_decide: listed === undefined });
    expect(entry!['cannot_decide_reason']).toBe(listed);

    const approved = await fx.api('POST', `/agent/approvals/${call.callId}`, tokens[who]!, { approve: true, conversation_id: call.conversationId, args_hash: call.argsHash, ...(call.diffHash ? { diff_hash: call.diffHash } : {}) });
    expect({ status: approved.status, detail: approved.json['detail'] }).toEqual(decision);
  });

  it("the notification an approver limited to alpha gets for the call on beta says the same", async () => {
    await vi.waitFor(() => expect(alfNotifications.notifications().find((item) => item['call_id'] === 'call_scale_beta')).toMatchObject({ kind: 'approval.requested', can_decide: false, cannot_decide_reason: outOfScope }));
  });

  it('nothing refused above ran: beta and alpha still run one replica of web with its image', async () => {
    expect(await fx.kubectl('beta', 'get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('1');
    expect(await fx.kubectl('alpha', 'get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}')).toBe('1 nginx:1.27');
  });

  it('an approver whose scope includes beta approves the call there', async () => {
    const call = calls['scale_beta']!;
    fx.sim.reset({ rules: [{ match: { always: true }, reply: 'Scaled.' }] });
    const { frames } = await fx.stream(`/agent/approvals/${call.callId}`, { approve: true, conversation_id: call.conversationId, args_hash: call.argsHash, diff_hash: call.diffHash }, tokens['zoe']!);
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(await fx.kubectl('beta', 'get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
  });
});

describe('a call whose preview failed', () => {
  it('shows why on the card and in the queue, as a high risk', async () => {
    const entry = ((await fx.api('GET', '/approvals/pending', tokens['zoe']!)).json['data'] as Array<Record<string, unknown>>).find((item) => item['call_id'] === 'call_no_preview');
    expect(entry!['diff']).toBeUndefined();
    expect(entry!['risks']).toEqual([
      expect.objectContaining({ code: 'PREVIEW_FAILED', severity: 'high', message: expect.stringMatching(/^The dry-run preview failed \(.*Invalid container_images entry "web:nginx:1.28".*\), so nobody has seen what this call would change/) }),
    ]);
  });

  it('approved "without a preview" by another approver: the acknowledgement is in the audit trail', async () => {
    const call = calls['no_preview']!;
    fx.sim.reset({ rules: [{ match: { always: true }, reply: 'Tried.' }] });
    const { frames } = await fx.stream(`/agent/approvals/${call.callId}`, { approve: true, conversation_id: call.conversationId, args_hash: call.argsHash, approve_without_preview: true }, tokens['zoe']!);
    expect(find(frames, 'tool.approved')[0]).toMatchObject({ call_id: 'call_no_preview' });
    const audit = await fx.api('GET', '/audit?action=approval.approved', fx.adminToken);
    expect(audit.status).toBe(200);
    const row = (audit.json['data'] as Array<Record<string, unknown>>).find((event) => event['subject_id'] === 'call_no_preview');
    expect(row).toMatchObject({ action: 'approval.approved', details: expect.objectContaining({ approved_without_preview: true }) });
  });
});

describe('a call whose dry run finds no target', () => {
  it('is refused before anyone is asked: no approval card, nothing in the queue, and the model is told why', async () => {
    const { frames } = await propose(tokens['member']!, 'call_ghost', 'k8s_set_image', { resource_name: 'ghost', resource_type: 'deployment', namespace: 'shop', container_images: 'ghost=nginx:1.28' });
    expect(find(frames, 'tool.awaiting_approval')).toEqual([]);
    const refused = find(frames, 'tool.error').find((event) => event['call_id'] === 'call_ghost');
    expect(refused).toMatchObject({ code: 'TARGET_NOT_FOUND', error: expect.stringMatching(/^Not executed: the dry-run preview of k8s_set_image found no target, so nobody was asked to approve it and nothing was changed\.\n.*ghost.*not found/s) });
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    const sentToModel = JSON.stringify(fx.sim.calls.at(-1)!.messages.filter((message) => message.role === 'tool'));
    expect(sentToModel).toMatch(/found no target, so nobody was asked to approve it/);
    const pending = (await fx.api('GET', '/approvals/pending', fx.adminToken)).json['data'] as Array<Record<string, unknown>>;
    expect(pending.map((item) => item['call_id'])).not.toContain('call_ghost');
  });
});

describe('automatic revert under four-eyes (issue 31 item 6, at decision time)', () => {
  it('the requester may not pre-approve an inverse that would need a second person; without auto_revert they may approve', async () => {
    const call = calls['wake']!;
    const pending = ((await fx.api('GET', '/approvals/pending', tokens['ann']!)).json['data'] as Array<Record<string, unknown>>).find((item) => item['call_id'] === call.callId);
    // the change itself is ann's to approve; its inverse scales idle back to zero
    expect(pending).toMatchObject({ can_decide: true, undo: expect.objectContaining({ tool: 'k8s_scale', args: expect.objectContaining({ replicas: 0 }) }) });
    const refused = await fx.api('POST', `/agent/approvals/${call.callId}`, tokens['ann']!, { approve: true, conversation_id: call.conversationId, args_hash: call.argsHash, diff_hash: call.diffHash, auto_revert: true });
    expect(refused.status).toBe(403);
    expect(refused.json['detail']).toMatch(/^Four-eyes: the automatic revert of call_wake \(.*\) would itself need someone other than you to approve it, so you cannot approve it with auto_revert/);
    expect(await fx.kubectl('alpha', 'get', 'deployment', 'idle', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('0');
    fx.sim.reset({ rules: [{ match: { always: true }, reply: 'Woken.' }] });
    const { frames } = await fx.stream(`/agent/approvals/${call.callId}`, { approve: true, conversation_id: call.conversationId, args_hash: call.argsHash, diff_hash: call.diffHash }, tokens['ann']!);
    expect(find(frames, 'tool.approved')[0]).toMatchObject({ call_id: 'call_wake' });
    expect(await fx.kubectl('alpha', 'get', 'deployment', 'idle', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
  });
});
