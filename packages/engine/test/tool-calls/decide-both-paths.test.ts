/**
 * Issue 33 item 2: "who may decide this call" is asked in one place (tool-calls/decide/decide.ts), by both paths that
 * answer it — GET /approvals/pending (`can_decide`, `cannot_decide_reason`) and POST /agent/approvals/:call_id (the
 * decision itself). Each row of the table asks both paths about the same call as the same person; they must agree:
 * a call the queue offers is one the decision accepts, and a refusal reads the same in both. The drift this fixes:
 * the queue offered an approver limited to cluster alpha a call on cluster beta, which the decision refused.
 *
 * The whole engine (APPROVAL_POLICY=approver, APPROVAL_FOUR_EYES, PGlite, llm-sim as the model). The calls are
 * recorded awaiting, with the cluster and namespace they were bound to, as the gate records them after a preview
 * (tool-calls-decide.test.ts proposes them for real on two kube-sims).
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewApproval } from '../../src/ports/index.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';

let sim: LlmSim;
const fleet = simEngineFleet(() => sim);
let engine: TestEngine;
/** bearer tokens by person (and zoe's chat-only API token) */
const tokens: Record<string, string> = {};
/** the recorded calls by name: their conversation and the args_hash/diff_hash the card showed */
const calls: Record<string, { conversationId: string; callId: string; argsHash: string; diffHash: string }> = {};

const call = (token: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => engine.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });
const hex = (digit: string) => digit.repeat(64);

/** Records `name` as awaiting in a new conversation of `owner`, as the gate does once the call was previewed. */
async function recordAwaiting(name: string, owner: string, patch: Partial<NewApproval>) {
  const storage = engine.engine.storage;
  const user = await storage.users.findByEmail(`${owner}@example.com`);
  const conversation = await storage.conversations.create({ userId: user!.id, title: name });
  const argsHash = hex(String(Object.keys(calls).length + 1));
  const diffHash = hex('d');
  await storage.approvals.request({
    conversationId: conversation.id,
    callId: `call_${name}`,
    runId: `run_${name}`,
    tool: 'k8s_scale',
    args: { name: 'web', resource_type: 'deployment', namespace: 'shop', replicas: 3 },
    argsHash,
    diff: 'replicas: 1 → 3',
    diffHash,
    resolution: [],
    risks: [],
    destructive: false,
    policyReason: 'k8s_scale changes the cluster',
    requestedBy: user!.id,
    cluster: { name: 'beta', server: 'https://beta.example.test' },
    namespace: 'shop',
    ...patch,
  });
  calls[name] = { conversationId: conversation.id, callId: `call_${name}`, argsHash, diffHash };
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'Done.' }] });
  engine = await fleet.start({ APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true' });
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
  // ann's own destructive call on alpha (four-eyes)
  await recordAwaiting('ann_destructive', 'ann', { destructive: true, cluster: { name: 'alpha', server: 'https://alpha.example.test' }, args: { name: 'web', resource_type: 'deployment', namespace: 'shop', replicas: 0 } });
}, 120_000);

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
});

const outOfScope = (name: string, where: string) => `Tool call call_${name} changes cluster ${where}, which is outside your scope; someone whose scope includes it must approve it.`;
const memberRole = 'APPROVAL_POLICY=approver: only users with the approver or admin role decide mutating calls; ask an approver (they see it under Pending approvals).';
const chatOnly =
  'API token "zoe terminal" lacks the scope approvals:write needed to approve or deny calls (a chat token can ask and read, not decide); decide in the Command Center, or create a token with approvals:write in Settings → API tokens.';
const fourEyesDestructive = 'Four-eyes (APPROVAL_FOUR_EYES): this call is destructive, so someone other than the person who asked for it must approve or deny it.';

describe('GET /approvals/pending and POST /agent/approvals/:call_id ask the same decide', () => {
  // [case, who asks, which call, the refusal both answer (undefined: the queue offers it and the approval goes ahead)]
  it.each<[string, string, string, { status: number; reason: string } | undefined]>([
    ['an approver limited to cluster alpha, on a call on beta (the drift)', 'alf', 'beta', { status: 403, reason: outOfScope('beta', 'beta, namespace shop') }],
    ['an approver limited to namespace payments, on a call in shop', 'pat', 'beta', { status: 403, reason: outOfScope('beta', 'beta, namespace shop') }],
    ['a member, on the call they asked for (approver mode)', 'mia', 'beta', { status: 403, reason: memberRole }],
    ["an approver's chat token without approvals:write", 'zoe-chat-token', 'beta', { status: 403, reason: chatOnly }],
    ['four-eyes: the requester of a destructive call', 'ann', 'ann_destructive', { status: 403, reason: fourEyesDestructive }],
    ['an approver limited to cluster alpha, on a call on alpha', 'alf', 'alpha_for_alf', undefined],
    ['another approver, on a call on beta', 'zoe', 'beta_for_zoe', undefined],
    ['an admin, on a call on beta', 'admin', 'beta_for_admin', undefined],
  ])('%s', async (_case, who, name, refusal) => {
    const recorded = calls[name]!;
    const pending = await call(tokens[who]!, 'GET', '/approvals/pending');
    expect(pending.statusCode, pending.body).toBe(200);
    const entry = (pending.json().data as Array<Record<string, unknown>>).find((item) => item['call_id'] === recorded.callId);
    expect(entry, `${recorded.callId} is listed for ${who}`).toBeDefined();
    const listed = { canDecide: entry!['can_decide'], reason: entry!['cannot_decide_reason'] };

    const approved = await call(tokens[who]!, 'POST', `/agent/approvals/${recorded.callId}`, { approve: true, conversation_id: recorded.conversationId, args_hash: recorded.argsHash, diff_hash: recorded.diffHash });
    const decided = approved.statusCode === 200 ? { status: 200, reason: undefined } : { status: approved.statusCode, reason: approved.json().detail as string };

    // The two paths agree with each other…
    expect(listed.canDecide).toBe(decided.status === 200);
    expect(listed.reason).toBe(decided.reason);
    // …and with what the row expects.
    expect(decided).toEqual(refusal ?? { status: 200, reason: undefined });
    const row = await engine.engine.storage.approvals.get(recorded.conversationId, recorded.callId);
    // a refused decision leaves the call waiting; an accepted one decided it
    if (refusal) expect(row?.status).toBe('awaiting');
    else expect(row).toMatchObject({ status: expect.stringMatching(/^(approved|executing|executed|failed)$/), decidedBy: (await engine.engine.storage.users.findByEmail(`${who}@example.com`))!.id });
  });
});
