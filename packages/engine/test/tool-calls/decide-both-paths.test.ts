/**
 * Issue 33 item 2: "who may decide this call" is asked in one place (tool-calls/decide/decide.ts), by both paths that
 * answer it — GET /approvals/pending (`can_decide`, `cannot_decide_reason`) and POST /agent/approvals/:call_id (the
 * decision itself). Each row of the table asks both paths about the same call as the same person; they must agree:
 * a call the queue offers is one the decision accepts, and a refusal reads the same in both. The drift this fixes:
 * the queue offered an approver limited to cluster alpha a call on cluster beta, which the decision refused.
 *
 * The whole engine (APPROVAL_POLICY=approver, APPROVAL_FOUR_EYES, PGlite, llm-sim as the model), its MCP server
 * listing two clusters (alpha, current, and beta). The table's calls are recorded awaiting, with the cluster and
 * namespace they were bound to, as the gate records them after a preview (tool-calls-decide.test.ts proposes them for
 * real on two kube-sims). Issue 74 item 9 adds what the queue once got wrong: the second call of a turn (the decision
 * answered 409 DECIDE_IN_ORDER while the queue offered it), a call bound to an API server that is gone, and external
 * MCP tools (proposed for real, through a tiny stdio MCP server), whose declared cluster is judged like ours (item 3).
 * Issue 74 item 8: someone limited to clusters does not reach a conversation pinned outside them, on either path.
 */
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { previewRequiredRiskCode } from '@skyflo/protocol';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewApproval } from '../../src/platform/ports/index.ts';
import { savePausedTurn } from '../../src/testing/paused-turn.ts';
import { readSse } from '../../src/testing/read-sse.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';

const tinyServer = fileURLToPath(new URL('../fixtures/external-mcp/tiny-mcp-server.mjs', import.meta.url));
const tinyCalls = path.join(mkdtempSync(path.join(tmpdir(), 'skyflo-both-paths-')), 'calls.jsonl');
const deployed = () => (existsSync(tinyCalls) ? readFileSync(tinyCalls, 'utf8').trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { args: { version: string } }).args.version) : []);

let sim: LlmSim;
const fleet = simEngineFleet(() => sim);
let engine: TestEngine;
/** bearer tokens by person (and zoe's chat-only API token) */
const tokens: Record<string, string> = {};
/** the recorded calls by name: their conversation and the args_hash/diff_hash the card showed */
const calls: Record<string, { conversationId: string; callId: string; argsHash: string; diffHash: string | undefined }> = {};

const call = (token: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => engine.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });
const hex = (digit: string) => digit.repeat(64);

/**
 * Records `name` as awaiting in a new conversation of `owner` (pinned to `pinned`, alpha unless said), as the gate
 * does once the call was previewed (`previewFailed`: its preview failed, so it has no diff).
 */
async function recordAwaiting(name: string, owner: string, patch: Partial<NewApproval>, pinned = 'alpha', options: { previewFailed?: boolean } = {}) {
  const storage = engine.engine.storage;
  const user = await storage.users.findByEmail(`${owner}@example.com`);
  const conversation = await storage.conversations.create({ userId: user!.id, title: name, cluster: pinned });
  const argsHash = (Object.keys(calls).length + 1).toString(16).padStart(64, '0');
  const diffHash = options.previewFailed ? undefined : hex('d');
  await storage.approvals.request({
    conversationId: conversation.id,
    callId: `call_${name}`,
    runId: `run_${name}`,
    tool: 'k8s_scale',
    args: { name: 'web', resource_type: 'deployment', namespace: 'shop', replicas: 3 },
    argsHash,
    ...(diffHash ? { diff: 'replicas: 1 → 3', diffHash } : {}),
    resolution: [],
    risks: [],
    destructive: false,
    policyReason: 'k8s_scale changes the cluster',
    requestedBy: user!.id,
    cluster: { name: 'beta', server: 'https://beta.example.test' },
    namespace: 'shop',
    ...patch,
  });
  // the turn the run paused at, as its end saved it: without it the call could not be resumed (issue 75)
  await savePausedTurn(await storage.checkpointer(), conversation.id, [{ callId: `call_${name}`, tool: 'k8s_scale', args: { name: 'web', resource_type: 'deployment', namespace: 'shop', replicas: 3 } }]);
  calls[name] = { conversationId: conversation.id, callId: `call_${name}`, argsHash, diffHash };
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'Done.' }] });
  const clusters = [
    { name: 'alpha', server: 'https://alpha.example.test', current: true },
    { name: 'beta', server: 'https://beta.example.test', current: false },
  ];
  engine = await fleet.start({ APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true' }, { fakeMcp: { clusters } });
  tokens['admin'] = await engine.signUp('admin@example.com');
  const people: Array<[string, string]> = [['mia', 'member'], ['ann', 'approver'], ['zoe', 'approver'], ['alf', 'approver'], ['pat', 'approver']];
  for (const [name, role] of people) {
    const added = await call(tokens['admin'], 'POST', '/team/members', { email: `${name}@example.com`, role, password: `${name}-pass-4242` });
    expect(added.statusCode, added.body).toBe(201);
    tokens[name] = (await engine.login(`${name}@example.com`, `${name}-pass-4242`)).json().access_token as string;
  }
  // alf approves on cluster alpha only; pat only in namespace payments (issue 22)
  const scoped: Array<[string, { clusters?: string[]; namespaces?: string[] }]> = [['alf', { clusters: ['alpha'] }], ['pat', { namespaces: ['payments'] }]];
  for (const [name, scope] of scoped) await engine.engine.storage.users.setScope((await engine.engine.storage.users.findByEmail(`${name}@example.com`))!.id, scope);
  const chatToken = await call(tokens['zoe'], 'POST', '/auth/tokens', { name: 'zoe terminal', scopes: ['chat', 'approvals:read'] });
  expect(chatToken.statusCode, chatToken.body).toBe(201);
  tokens['zoe-chat-token'] = chatToken.json().token as string;

  // mia's call on beta (each accepted row gets a call of its own: an accepted decision decides it)
  for (const name of ['beta', 'beta_for_zoe', 'beta_for_admin']) await recordAwaiting(name, 'mia', {});
  await recordAwaiting('alpha_for_alf', 'mia', { cluster: { name: 'alpha', server: 'https://alpha.example.test' } });
  // Issue 73 item 6: mia's calls whose preview failed on a cluster that enforces approvals (as the gate records them)
  const enforcedNoPreview = 'The dry-run preview failed (deployments.apps "web" is forbidden: User "skyflo-mcp" cannot patch resource "deployments"). Cluster beta enforces approvals: fix the cause shown and ask for the change again, or deny it.';
  for (const name of ['no_preview_enforced', 'no_preview_enforced_deny', 'no_preview_enforced_member']) {
    await recordAwaiting(name, 'mia', { risks: [{ code: previewRequiredRiskCode, severity: 'high', message: enforcedNoPreview }] }, 'alpha', { previewFailed: true });
  }
  await recordAwaiting('beta_for_alf_to_deny', 'mia', {});
  // ann's own destructive call on alpha (four-eyes)
  await recordAwaiting('ann_destructive', 'ann', { destructive: true, cluster: { name: 'alpha', server: 'https://alpha.example.test' }, args: { name: 'web', resource_type: 'deployment', namespace: 'shop', replicas: 0 } });
  // issue 74 item 9: a call bound to beta's former API server (the kubeconfig changed since): stale on both paths
  await recordAwaiting('beta_moved', 'mia', { cluster: { name: 'beta', server: 'https://beta-before.example.test' } });
  // issue 74 item 8: mia's call in a conversation pinned to beta, which alf (limited to alpha) does not reach
  await recordAwaiting('pinned_beta', 'mia', {}, 'beta');
}, 120_000);

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
});

const outOfScope = (name: string, where: string) => `Tool call call_${name} changes cluster ${where}, which is outside your scope; someone whose scope includes it must approve it.`;
const memberRole = 'APPROVAL_POLICY=approver: only users with the approver or admin role decide mutating calls; ask an approver (they see it under Pending approvals).';
const chatOnly =
  'API token "zoe terminal" lacks the scope approvals:write needed to approve or deny calls (a chat token can ask and read, not decide); decide in the Command Center, or create a token with approvals:write in Settings → API tokens.';
const previewRequired = (name: string) =>
  `Tool call call_${name} cannot be approved. The dry-run preview failed (deployments.apps "web" is forbidden: User "skyflo-mcp" cannot patch resource "deployments"). Cluster beta enforces approvals: fix the cause shown and ask for the change again, or deny it.`;
const fourEyesDestructive = 'Four-eyes (APPROVAL_FOUR_EYES): this call is destructive, so someone other than the person who asked for it must approve or deny it.';

const stale = 'Stale: this call is bound to cluster beta at https://beta-before.example.test, but beta now points at https://beta.example.test (the kubeconfig changed); it cannot run as shown. Deny it and ask again.';

/**
 * Asks both paths about one call as one person: the pending list's entry (undefined when it is not listed) and the
 * decision's answer to an approval (the queue asks as if approving).
 */
async function askBothPaths(who: string, recorded: { conversationId: string; callId: string; argsHash: string; diffHash?: string | undefined }, extra: Record<string, unknown> = {}) {
  const pending = await call(tokens[who]!, 'GET', '/approvals/pending');
  expect(pending.statusCode, pending.body).toBe(200);
  const entry = (pending.json().data as Array<Record<string, unknown>>).find((item) => item['call_id'] === recorded.callId);
  const approved = await call(tokens[who]!, 'POST', `/agent/approvals/${recorded.callId}`, { approve: true, conversation_id: recorded.conversationId, args_hash: recorded.argsHash, ...(recorded.diffHash ? { diff_hash: recorded.diffHash } : {}), ...extra });
  const decided = approved.statusCode === 200 ? { status: 200, code: undefined, reason: undefined } : { status: approved.statusCode, code: approved.json().code as string | undefined, reason: approved.json().detail as string };
  // drain an accepted decision's stream, so its run has ended before the next question
  if (approved.statusCode === 200) await readSse(new Response(approved.body));
  return { entry, listed: entry ? { canDecide: entry['can_decide'], reason: entry['cannot_decide_reason'] } : undefined, decided };
}

describe('GET /approvals/pending and POST /agent/approvals/:call_id ask the same decide', () => {
  // [case, who asks, which call, the refusal both answer (undefined: the queue offers it and the approval goes ahead),
  //  what else the approval sends]
  it.each<[string, string, string, { status: number; reason: string } | undefined, Record<string, unknown>?]>([
    ['a call bound to an API server that is gone (issue 74 item 9: staleness)', 'zoe', 'beta_moved', { status: 409, reason: stale }],
    ['an approver limited to cluster alpha, on a call on beta (the drift)', 'alf', 'beta', { status: 403, reason: outOfScope('beta', 'beta, namespace shop') }],
    ['an approver limited to namespace payments, on a call in shop', 'pat', 'beta', { status: 403, reason: outOfScope('beta', 'beta, namespace shop') }],
    ['a member, on the call they asked for (approver mode)', 'mia', 'beta', { status: 403, reason: memberRole }],
    ["an approver's chat token without approvals:write", 'zoe-chat-token', 'beta', { status: 403, reason: chatOnly }],
    ['four-eyes: the requester of a destructive call', 'ann', 'ann_destructive', { status: 403, reason: fourEyesDestructive }],
    ['an approver limited to cluster alpha, on a call on alpha', 'alf', 'alpha_for_alf', undefined],
    ['another approver, on a call on beta', 'zoe', 'beta_for_zoe', undefined],
    ['an admin, on a call on beta', 'admin', 'beta_for_admin', undefined],
    // issue 73 item 6: nothing approves it there, not even "approve without a preview"
    ['another approver, on a call whose preview failed on an enforcing cluster, "without a preview"', 'zoe', 'no_preview_enforced', { status: 409, reason: previewRequired('no_preview_enforced') }, { approve_without_preview: true }],
    ['an admin, on the same kind of call, not acknowledged', 'admin', 'no_preview_enforced', { status: 409, reason: previewRequired('no_preview_enforced') }],
  ])('%s', async (_case, who, name, refusal, extra) => {
    const recorded = calls[name]!;
    const { listed, decided } = await askBothPaths(who, recorded, extra);
    expect(listed, `${recorded.callId} is listed for ${who}`).toBeDefined();
    // The two paths agree with each other…
    expect(listed!.canDecide).toBe(decided.status === 200);
    expect(listed!.reason).toBe(decided.reason);
    // …and with what the row expects.
    expect({ status: decided.status, reason: decided.reason }).toEqual(refusal ?? { status: 200, reason: undefined });
    const row = await engine.engine.storage.approvals.get(recorded.conversationId, recorded.callId);
    // a refused decision leaves the call waiting; an accepted one decided it
    if (refusal) expect(row?.status).toBe('awaiting');
    else expect(row).toMatchObject({ status: expect.stringMatching(/^(approved|executing|executed|failed)$/), decidedBy: (await engine.engine.storage.users.findByEmail(`${who}@example.com`))!.id });
  });

  // Issue 73 item 6: `can_deny` is the same rules asked about a denial. A call nobody can approve as it is (no preview
  // on an enforcing cluster) is still denied by those who could otherwise approve it: the card offers Deny to them only.
  it.each<[string, string, string, { status: number; reason: string } | undefined]>([
    ['another approver, on a call whose preview failed on an enforcing cluster', 'zoe', 'no_preview_enforced_deny', undefined],
    ['a member, on that kind of call they asked for (approver mode)', 'mia', 'no_preview_enforced_member', { status: 403, reason: memberRole }],
    ['four-eyes: the requester of a destructive call', 'ann', 'ann_destructive', { status: 403, reason: fourEyesDestructive }],
    ['an approver limited to cluster alpha, on a call on beta (anyone who sees it may deny)', 'alf', 'beta_for_alf_to_deny', undefined],
  ])('who may deny: %s', async (_case, who, name, refusal) => {
    const recorded = calls[name]!;
    const pending = await call(tokens[who]!, 'GET', '/approvals/pending');
    const entry = (pending.json().data as Array<Record<string, unknown>>).find((item) => item['call_id'] === recorded.callId);
    expect(entry, `${recorded.callId} is listed for ${who}`).toMatchObject({ can_decide: false });
    const denied = await call(tokens[who]!, 'POST', `/agent/approvals/${recorded.callId}`, { approve: false, conversation_id: recorded.conversationId });
    const decided = denied.statusCode === 200 ? undefined : { status: denied.statusCode, reason: denied.json().detail as string };
    if (denied.statusCode === 200) await readSse(new Response(denied.body));
    expect(entry!['can_deny']).toBe(decided === undefined);
    expect(decided).toEqual(refusal);
    const row = await engine.engine.storage.approvals.get(recorded.conversationId, recorded.callId);
    expect(row?.status).toBe(refusal ? 'awaiting' : 'denied');
  });

  // Issue 74 item 8: a scope limited to clusters limits whose conversations one reaches: not listed, not decided, not read, not found.
  it('someone limited to cluster alpha reaches no conversation pinned to beta, on any path', async () => {
    const recorded = calls['pinned_beta']!;
    const { entry, decided } = await askBothPaths('alf', recorded);
    expect(entry).toBeUndefined();
    expect(decided).toEqual({ status: 404, code: 'CONVERSATION_NOT_FOUND', reason: `Conversation ${recorded.conversationId} not found` });
    expect((await call(tokens['alf']!, 'GET', `/conversations/${recorded.conversationId}`)).statusCode).toBe(404);
    const found = await call(tokens['alf']!, 'GET', '/conversations/search?q=pinned_beta');
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json().data).toEqual([]);
    // while one pinned to alpha is read and found (and its call offered: the drift row above)
    const alpha = calls['alpha_for_alf']!;
    expect((await call(tokens['alf']!, 'GET', `/conversations/${alpha.conversationId}`)).statusCode).toBe(200);
    expect((await call(tokens['alf']!, 'GET', '/conversations/search?q=alpha_for_alf')).json().data).toEqual([expect.objectContaining({ id: alpha.conversationId })]);
    // someone limited only to namespaces is not limited in what they read (a conversation is pinned to a cluster)
    expect((await call(tokens['pat']!, 'GET', `/conversations/${recorded.conversationId}`)).statusCode).toBe(200);
    // an unlimited approver reads it
    expect((await call(tokens['zoe']!, 'GET', `/conversations/${recorded.conversationId}`)).statusCode).toBe(200);
    expect((await engine.engine.storage.approvals.get(recorded.conversationId, recorded.callId))?.status).toBe('awaiting');
  });
});

/** mia asks in a new conversation (pinned to alpha, the current cluster); the calls the turn left waiting. */
async function chatUntilAwaiting(content: string) {
  const chat = await call(tokens['mia']!, 'POST', '/agent/chat', { messages: [{ role: 'user', content }] });
  expect(chat.statusCode, chat.body).toBe(200);
  const frames = await readSse(new Response(chat.body));
  const conversationId = String(frames[0]!.data['conversation_id']);
  const awaiting = frames.filter((frame) => frame.event === 'tool.awaiting_approval').map((frame) => frame.data);
  return { conversationId, awaiting: (callId: string) => awaiting.find((facts) => facts['call_id'] === callId)! };
}

// Issue 74 item 9: the pending list said can_decide: true for the second call of a turn; the decision answered 409.
describe('the second call of a turn (the model proposed two changes at once)', () => {
  it('is offered by neither path until the first is decided, with the same words; then by both', async () => {
    sim.reset({
      rules: [
        { match: { toolName: 'load_toolset', userContains: 'twice' }, reply: { toolCalls: [{ id: 'call_first', name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } }, { id: 'call_second', name: 'k8s_scale', arguments: { name: 'web', replicas: 4 } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'Scaled.' },
        { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      ],
    });
    const { conversationId, awaiting } = await chatUntilAwaiting('scale web twice');
    const second = { conversationId, callId: 'call_second', argsHash: String(awaiting('call_second')['args_hash']), diffHash: String(awaiting('call_second')['diff_hash']) };
    const first = { conversationId, callId: 'call_first', argsHash: String(awaiting('call_first')['args_hash']), diffHash: String(awaiting('call_first')['diff_hash']) };

    const early = await askBothPaths('zoe', second);
    const inOrder = 'Tool call call_second runs after call_first (k8s_scale), which is still waiting; decide call_first first (calls run in the order the model proposed them).';
    expect(early.listed).toEqual({ canDecide: false, reason: inOrder });
    expect(early.decided).toEqual({ status: 409, code: 'DECIDE_IN_ORDER', reason: inOrder });

    // the first is offered and approved; now the second is offered, and its approval goes ahead
    const firstAsked = await askBothPaths('zoe', first);
    expect(firstAsked.listed).toEqual({ canDecide: true, reason: undefined });
    expect(firstAsked.decided.status).toBe(200);
    const later = await askBothPaths('zoe', second);
    expect(later.listed).toEqual({ canDecide: true, reason: undefined });
    expect(later.decided.status).toBe(200);
    // both decided, in the model's order (the second's preview changed once the first ran: its run says so, not this test)
    for (const callId of ['call_first', 'call_second']) expect((await engine.engine.storage.approvals.get(conversationId, callId))?.status, callId).not.toBe('awaiting');
    expect(engine.mcp.calls.filter((made) => made.name === 'k8s_scale')[0]?.args).toMatchObject({ replicas: 3 });
  });
});

// Issue 74 items 3 and 10: an external MCP server's write, through the same decide as ours.
describe("an external MCP server's tools", () => {
  const deploy = (server: string, version: string) => ({
    rules: [
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: `call_${server}_${version}`, name: `${server}__deploy`, arguments: { app: 'shop', version } }] } },
      { match: { toolName: `${server}__deploy` }, reply: 'Deployed.' },
      { match: { always: true as const }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: `${server}ops`, include_write_tools: true } }] } },
    ],
  });
  const connect = async (name: string, actsOn?: { cluster: string; namespace?: string }) => {
    const created = await call(tokens['admin']!, 'POST', '/integrations/mcp-servers', { name, toolset: `${name}ops`, transport: { type: 'stdio', command: [process.execPath, tinyServer], env: { TINY_CALLS: tinyCalls } }, ...(actsOn ? { acts_on: actsOn } : {}) });
    expect(created.statusCode, created.body).toBe(201);
    return created.json() as { tools: Array<{ name: string; destructive: boolean }> };
  };
  const ask = async (server: string, version: string) => {
    sim.reset(deploy(server, version));
    const { conversationId, awaiting } = await chatUntilAwaiting(`deploy shop ${version}`);
    const facts = awaiting(`call_${server}_${version}`);
    return { facts, recorded: { conversationId, callId: `call_${server}_${version}`, argsHash: String(facts['args_hash']) } };
  };
  // an external tool has no preview: approving it says so (approve_without_preview), as for any call without one
  const withoutPreview = { approve_without_preview: true };

  it('an admin declares where a server\'s tools act; a cluster that is not configured is refused', async () => {
    const refused = await call(tokens['admin']!, 'POST', '/integrations/mcp-servers', { name: 'nowhere', toolset: 'nowhereops', transport: { type: 'stdio', command: [process.execPath, tinyServer] }, acts_on: { cluster: 'gamma' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toBe('acts_on.cluster "gamma" is not a configured cluster; the clusters are alpha, beta.');
    const created = await connect('tinybeta', { cluster: 'beta', namespace: 'shop' });
    // the server lists deploy with destructiveHint: false; unknown effects are destructive unless an admin says otherwise
    expect(created.tools.find((tool) => tool.name === 'tinybeta__deploy')).toMatchObject({ destructive: true });
  });

  it('declared for beta: an approver limited to alpha is refused on both paths (item 3); an unlimited approver approves', async () => {
    const { facts, recorded } = await ask('tinybeta', '7.0.0');
    // the card: the tool's real name first, the server's title after it (item 10); destructive; bound to beta/shop
    expect(facts).toMatchObject({ tool: 'tinybeta__deploy', title: 'tinybeta__deploy (its server calls it "Deploy an app")', destructive: true, cluster: { name: 'beta', server: 'https://beta.example.test' }, namespace: 'shop' });
    const outside = `Tool call ${recorded.callId} changes cluster beta, namespace shop, which is outside your scope; someone whose scope includes it must approve it.`;
    const alf = await askBothPaths('alf', recorded, withoutPreview);
    expect(alf.listed).toEqual({ canDecide: false, reason: outside });
    expect(alf.decided).toEqual({ status: 403, code: 'OUT_OF_SCOPE', reason: outside });
    const pat = await askBothPaths('pat', recorded, withoutPreview);
    expect(pat.decided).toMatchObject({ status: 403, code: 'OUT_OF_SCOPE' });
    expect(pat.listed).toEqual({ canDecide: false, reason: pat.decided.reason });
    expect(deployed()).not.toContain('7.0.0');

    const zoe = await askBothPaths('zoe', recorded, withoutPreview);
    expect(zoe.listed).toEqual({ canDecide: true, reason: undefined });
    expect(zoe.decided.status).toBe(200);
    expect(deployed()).toContain('7.0.0');
  });

  it('declared nowhere: only an approver whose scope is not limited approves it, on both paths', async () => {
    await connect('tinyany');
    const { facts, recorded } = await ask('tinyany', '8.0.0');
    expect(facts['cluster']).toBeUndefined();
    const nowhere = `Tool call ${recorded.callId} runs tinyany__deploy, a tool of the external MCP server "tinyany", for which no cluster or namespace is declared (an admin sets where its tools act in Integrations → MCP servers); it could act anywhere, so only an approver whose scope is not limited may approve it.`;
    for (const who of ['alf', 'pat']) {
      const asked = await askBothPaths(who, recorded, withoutPreview);
      expect(asked.listed, who).toEqual({ canDecide: false, reason: nowhere });
      expect(asked.decided, who).toEqual({ status: 403, code: 'OUT_OF_SCOPE', reason: nowhere });
    }
    expect(deployed()).not.toContain('8.0.0');
    const zoe = await askBothPaths('zoe', recorded, withoutPreview);
    expect(zoe.listed).toEqual({ canDecide: true, reason: undefined });
    expect(zoe.decided.status).toBe(200);
    expect(deployed()).toContain('8.0.0');
  });
});
