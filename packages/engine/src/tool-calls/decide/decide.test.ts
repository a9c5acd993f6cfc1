/**
 * The decision rules as a table: one call, one decider, one request per row; the first refusal is the answer (its
 * status and code are what POST /agent/approvals/:call_id sends, its reason what GET /approvals/pending shows).
 */
import { describe, expect, it } from 'vitest';
import { previewFailedRiskCode } from '@skyflo/protocol';
import { decide, decideRules, type DecidedCall, type DecisionFacts, type DecisionRequest } from './decide.ts';

const call: DecidedCall = {
  callId: 'call_1',
  tool: 'k8s_scale',
  status: 'awaiting',
  requestedBy: 'ann',
  argsHash: 'a'.repeat(64),
  diffHash: 'd'.repeat(64),
  destructive: false,
  risks: [],
  cluster: { name: 'beta', server: 'https://beta.example' },
  namespace: 'shop',
};
const approve: DecisionRequest = { approve: true, argsHash: 'a'.repeat(64), diffHash: 'd'.repeat(64) };
const base: DecisionFacts = {
  conversationId: 'conv',
  callId: 'call_1',
  environment: { policy: 'approver', fourEyes: true },
  actor: { id: 'zoe', role: 'approver' },
  conversation: { ownerId: 'ann' },
  call,
  deciderScope: undefined,
  request: approve,
};
const withCall = (patch: Partial<DecidedCall>): Partial<DecisionFacts> => ({ call: { ...call, ...patch } });
const prodPasskey = { required: 'cluster prod asks for a passkey on destructive calls, and this one is destructive', approveAt: 'https://skyflo.example/approvals?call=call_1' };
const undo = { tool: 'k8s_scale', args: { name: 'web', replicas: 3 }, summary: 'scale web back to 3', argsHash: 'u'.repeat(64) };

describe('deciding a call: the first refusal wins', () => {
  it.each<[string, Partial<DecisionFacts>, string | undefined]>([
    ['another approver approves the call they were shown', {}, undefined],
    ['auto_revert on a denial', { request: { approve: false, autoRevert: true } }, 'AUTO_REVERT_NEEDS_APPROVAL'],
    ['an approval without args_hash', { request: { approve: true } }, 'ARGS_HASH_REQUIRED'],
    ['a missing conversation', { conversation: undefined }, 'CONVERSATION_NOT_FOUND'],
    ["a member in someone else's conversation: reported missing", { actor: { id: 'bob', role: 'member' } }, 'CONVERSATION_NOT_FOUND'],
    ['an approver under APPROVAL_POLICY=self: reported missing', { environment: { policy: 'self', fourEyes: false } }, 'CONVERSATION_NOT_FOUND'],
    ['a call never previewed', { call: undefined }, 'APPROVAL_NOT_FOUND'],
    ['a call requested by someone other than the owner', withCall({ requestedBy: 'mallory' }), 'APPROVAL_NOT_FOUND'],
    ['a call already approved', withCall({ status: 'approved' }), 'ALREADY_DECIDED'],
    ['a member deciding their own call under APPROVAL_POLICY=approver', { actor: { id: 'ann', role: 'member' } }, 'NOT_ALLOWED_TO_DECIDE'],
    ['four-eyes: the requester of a destructive call', { actor: { id: 'ann', role: 'approver' }, ...withCall({ destructive: true }) }, 'NOT_ALLOWED_TO_DECIDE'],
    ['four-eyes: the requester of a call whose preview failed (high risk)', { actor: { id: 'ann', role: 'approver' }, ...withCall({ risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }) }, 'NOT_ALLOWED_TO_DECIDE'],
    ['a cluster four_eyes policy: the requester', { actor: { id: 'ann', role: 'approver' }, ...withCall({ policy: { mode: 'four_eyes', source: 'cluster policy beta' } }) }, 'NOT_ALLOWED_TO_DECIDE'],
    ['an approver limited to cluster alpha approving on beta', { deciderScope: { clusters: ['alpha'] } }, 'OUT_OF_SCOPE'],
    ['an approver limited to namespace payments approving in shop', { deciderScope: { namespaces: ['payments'] } }, 'OUT_OF_SCOPE'],
    ['an approver limited to cluster alpha denying on beta', { deciderScope: { clusters: ['alpha'] }, request: { approve: false } }, undefined],
    ['an approver scoped to beta approves there', { deciderScope: { clusters: ['be*'] } }, undefined],
    ['an approver limited to shop approving a chart that also writes prod', { deciderScope: { namespaces: ['shop'] }, ...withCall({ namespaces: ['shop', 'prod'] }) }, 'OUT_OF_SCOPE'],
    ['an approver limited to shop approving a chart with cluster-scoped objects', { deciderScope: { namespaces: ['shop'] }, ...withCall({ namespaces: ['shop'], clusterScopedWrites: true }) }, 'OUT_OF_SCOPE'],
    ['an approver scoped to shop and prod approving a chart writing both', { deciderScope: { namespaces: ['shop', 'prod'] }, ...withCall({ namespaces: ['shop', 'prod'] }) }, undefined],
    ['an API token with only chat', { actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['chat'] } } }, 'TOKEN_SCOPE'],
    ['an API token with only chat, denying', { actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['chat'] } }, request: { approve: false } }, 'TOKEN_SCOPE'],
    ['an API token with approvals:write', { actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['chat', 'approvals:write'] } } }, undefined],
    ['another args_hash', { request: { ...approve, argsHash: 'b'.repeat(64) } }, 'ARGS_MISMATCH'],
    ['a passkey call approved by a plain click', { passkey: prodPasskey }, 'PASSKEY_REQUIRED'],
    ['a passkey call approved with an assertion (verified after the rules)', { passkey: prodPasskey, request: { ...approve, webauthn: true } }, undefined],
    ['a passkey call approved by a chat token: the passkey answers first', { passkey: prodPasskey, actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['chat'] } } }, 'PASSKEY_REQUIRED'],
    ['a passkey call approved by an approvals:write token, even with an assertion', { passkey: prodPasskey, actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['approvals:write'] } }, request: { ...approve, webauthn: true } }, 'PASSKEY_REQUIRED'],
    ['a passkey call approved with a device signature (verified after the rules)', { passkey: prodPasskey, request: { ...approve, deviceSignature: true } }, undefined],
    ['a passkey call approved by a chat token with a device signature: the token scope still applies', { passkey: prodPasskey, actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['chat'] } }, request: { ...approve, deviceSignature: true } }, 'TOKEN_SCOPE'],
    ['a passkey call denied by a plain click', { passkey: prodPasskey, request: { approve: false } }, undefined],
    ['the pending list offers a passkey call to a person', { passkey: prodPasskey, request: undefined }, undefined],
    ['another diff_hash', { request: { ...approve, diffHash: 'e'.repeat(64) } }, 'PREVIEW_MISMATCH'],
    ['an earlier call of the turn still waits', { earlierAwaiting: { callId: 'call_0', tool: 'k8s_delete' } }, 'DECIDE_IN_ORDER'],
    ['a denial while an earlier call waits', { earlierAwaiting: { callId: 'call_0', tool: 'k8s_delete' }, request: { approve: false } }, undefined],
    ['a failed preview, approved with a diff_hash it never had', withCall({ diffHash: undefined, risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }), 'PREVIEW_MISMATCH'],
    ['a failed preview, approved without a diff_hash and not acknowledged', { ...withCall({ diffHash: undefined, risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }), request: { approve: true, argsHash: 'a'.repeat(64) } }, 'PREVIEW_NOT_ACKNOWLEDGED'],
    ['a failed preview, acknowledged', { ...withCall({ diffHash: undefined, risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }), request: { approve: true, argsHash: 'a'.repeat(64), withoutPreview: true } }, undefined],
    ['a failed preview, denied', { ...withCall({ diffHash: undefined, risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }), request: { approve: false } }, undefined],
    ['auto_revert on a call without an inverse', { request: { ...approve, autoRevert: true } }, 'AUTO_REVERT_UNAVAILABLE'],
    ['four-eyes: the requester approves with auto_revert, inverse unknown', { actor: { id: 'ann', role: 'approver' }, ...withCall({ undo }), request: { ...approve, autoRevert: true } }, 'AUTO_REVERT_NEEDS_SECOND_PERSON'],
    ['four-eyes: the requester with auto_revert, inverse needs a second person', { actor: { id: 'ann', role: 'approver' }, ...withCall({ undo }), request: { ...approve, autoRevert: true }, inverseNeedsSecondPerson: true }, 'AUTO_REVERT_NEEDS_SECOND_PERSON'],
    ['four-eyes: the requester with auto_revert, inverse is harmless', { actor: { id: 'ann', role: 'approver' }, ...withCall({ undo }), request: { ...approve, autoRevert: true }, inverseNeedsSecondPerson: false }, undefined],
    ['four-eyes: another approver with auto_revert', { ...withCall({ undo }), request: { ...approve, autoRevert: true } }, undefined],
    ['no four-eyes: the requester with auto_revert', { environment: { policy: 'approver', fourEyes: false }, actor: { id: 'ann', role: 'approver' }, ...withCall({ undo }), request: { ...approve, autoRevert: true } }, undefined],
    // Issue 37 item 9: an alert's call is asked for by the alert, not by the owner of the alert token.
    ['four-eyes: the alert token owner approves a destructive call the alert asked for', { actor: { id: 'ann', role: 'approver' }, ...withCall({ destructive: true, requestedByAlert: 'pager' }) }, undefined],
    ['a cluster four_eyes policy: the alert token owner approves the alert\'s call', { actor: { id: 'ann', role: 'approver' }, ...withCall({ requestedByAlert: 'pager', policy: { mode: 'four_eyes', source: 'cluster policy beta' } }) }, undefined],
    ['four-eyes: the token owner\'s own destructive call in the alert conversation stays theirs', { actor: { id: 'ann', role: 'approver' }, ...withCall({ destructive: true }) }, 'NOT_ALLOWED_TO_DECIDE'],
    ['a member (the alert token owner) approving the alert\'s call under APPROVAL_POLICY=approver', { actor: { id: 'ann', role: 'member' }, ...withCall({ destructive: true, requestedByAlert: 'pager' }) }, 'NOT_ALLOWED_TO_DECIDE'],
    ['a member who is not the owner approving the alert\'s call: reported missing', { actor: { id: 'bob', role: 'member' }, ...withCall({ requestedByAlert: 'pager' }) }, 'CONVERSATION_NOT_FOUND'],
    ['the alert token owner may not pre-approve an unreviewed inverse (auto_revert) of the alert\'s call', { actor: { id: 'ann', role: 'approver' }, ...withCall({ undo, requestedByAlert: 'pager' }), request: { ...approve, autoRevert: true } }, 'AUTO_REVERT_NEEDS_SECOND_PERSON'],
    // Issue 37 item 7: a call bound to an API server that is no longer configured is not approved (denying clears it).
    ['a call bound to an API server that is gone', { configuredClusters: [{ name: 'alpha', server: 'https://alpha.example' }] }, 'CLUSTER_STALE'],
    ['a call bound to a cluster name that now points elsewhere', { configuredClusters: [{ name: 'beta', server: 'https://beta-2.example' }] }, 'CLUSTER_STALE'],
    ['a stale call, denied', { configuredClusters: [{ name: 'alpha', server: 'https://alpha.example' }], request: { approve: false } }, undefined],
    ['a stale call already decided: already decided comes first', { configuredClusters: [{ name: 'alpha', server: 'https://alpha.example' }], ...withCall({ status: 'denied' }) }, 'ALREADY_DECIDED'],
    ['the cluster still configured', { configuredClusters: [{ name: 'beta', server: 'https://beta.example' }] }, undefined],
    ['the clusters unknown (MCP server loading): execution still checks', { configuredClusters: undefined }, undefined],
    ['the pending list asks: a stale call', { request: undefined, configuredClusters: [{ name: 'alpha', server: 'https://alpha.example' }] }, 'CLUSTER_STALE'],
    ['the pending list asks (no request): another approver', { request: undefined }, undefined],
    ['the pending list asks: an approver limited to cluster alpha', { request: undefined, deciderScope: { clusters: ['alpha'] } }, 'OUT_OF_SCOPE'],
    ['the pending list asks: a chat token', { request: undefined, actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['chat', 'approvals:read'] } } }, 'TOKEN_SCOPE'],
  ])('%s', (_name, patch, code) => {
    expect(decide({ ...base, ...patch })?.code).toBe(code);
  });

  it('answers with the status and words the API sends', () => {
    expect(decide({ ...base, deciderScope: { clusters: ['alpha'] } })).toEqual({
      status: 403,
      code: 'OUT_OF_SCOPE',
      reason: 'Tool call call_1 changes cluster beta, namespace shop, which is outside your scope; someone whose scope includes it must approve it.',
    });
    expect(decide({ ...base, actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['chat'] } } })?.reason).toBe(
      'API token "cli" lacks the scope approvals:write needed to approve or deny calls (a chat token can ask and read, not decide); decide in the Command Center, or create a token with approvals:write in Settings → API tokens.',
    );
  });

  it('a stale call is refused with the words the pending list shows', () => {
    expect(decide({ ...base, configuredClusters: [{ name: 'alpha', server: 'https://alpha.example' }] })).toEqual({
      status: 409,
      code: 'CLUSTER_STALE',
      reason: 'Stale: this call is bound to cluster beta at https://beta.example, which is no longer configured (the kubeconfig changed); it cannot run as shown. Deny it and ask again.',
    });
  });

  it('a rule that throws refuses instead of letting the decision through', () => {
    const broken = () => {
      throw new Error('boom');
    };
    expect(decide(base, [broken, ...decideRules])).toMatchObject({ status: 403, code: 'DECISION_CHECK_FAILED' });
  });
});
