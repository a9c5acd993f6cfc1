/**
 * The decision rules as a table: one call, one decider, one request per row; the first refusal is the answer (its
 * status and code are what POST /agent/approvals/:call_id sends, its reason what GET /approvals/pending shows).
 */
import { describe, expect, it } from 'vitest';
import { previewFailedRiskCode, previewRequiredRiskCode } from '@skyflo/protocol';
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
  conversation: { ownerId: 'ann', cluster: 'beta' },
  call,
  deciderScope: undefined,
  request: approve,
};
const withCall = (patch: Partial<DecidedCall>): Partial<DecisionFacts> => ({ call: { ...call, ...patch } });
/** a conversation pinned to alpha whose call names cluster beta (its `context`) */
const pinnedToAlpha: Partial<DecisionFacts> = { conversation: { ownerId: 'ann', cluster: 'alpha' } };
/** a call of an external MCP server's tool (issue 39), declared for cluster beta, namespace shop by its admin; or for nowhere */
const external = withCall({ tool: 'acme__rotate_keys' });
const externalNowhere = withCall({ tool: 'acme__rotate_keys', cluster: undefined, namespace: undefined });
const prodPasskey = { required: 'cluster prod asks for a passkey on destructive calls, and this one is destructive', approveAt: 'https://skyflo.example/approvals?call=call_1' };
/** issue 73 item 6: the flag the gate records for a failed preview on a cluster that enforces approvals */
const enforcedNoPreview = withCall({ diffHash: undefined, risks: [{ code: previewRequiredRiskCode, severity: 'high', message: 'The dry-run preview failed (403 forbidden). Cluster beta enforces approvals: fix the cause and ask again, or deny it.' }] });
const yearEnd = { name: 'year-end', reason: 'year-end close', endsAt: new Date('2026-12-31T00:00:00Z') };
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
    ['an approver limited to cluster alpha approving on beta', { ...pinnedToAlpha, deciderScope: { clusters: ['alpha'] } }, 'OUT_OF_SCOPE'],
    // Issue 74 item 8: a scope limited to clusters also limits whose conversations one reaches (reported missing).
    ['an approver limited to cluster alpha, in a conversation pinned to beta', { deciderScope: { clusters: ['alpha'] } }, 'CONVERSATION_NOT_FOUND'],
    ['an approver limited to cluster alpha, in a conversation pinned to no cluster', { deciderScope: { clusters: ['alpha'] }, conversation: { ownerId: 'ann' } }, 'CONVERSATION_NOT_FOUND'],
    ['an approver limited to cluster alpha, denying in a conversation pinned to beta', { deciderScope: { clusters: ['alpha'] }, request: { approve: false } }, 'CONVERSATION_NOT_FOUND'],
    ['the owner limited to cluster alpha, in their own conversation pinned to beta', { deciderScope: { clusters: ['alpha'] }, environment: { policy: 'self', fourEyes: false }, actor: { id: 'ann', role: 'member' }, ...withCall({ cluster: { name: 'alpha', server: 'https://alpha.example' } }) }, undefined],
    ['an approver limited to namespace payments reaches a conversation on beta (namespaces do not limit reading)', { deciderScope: { namespaces: ['payments'] }, request: { approve: false } }, undefined],
    // Issue 74 item 3: an external tool goes through the same scope rule, where its admin declared it acts.
    ['an approver limited to cluster alpha approving an external tool declared for beta', { ...pinnedToAlpha, ...external, deciderScope: { clusters: ['alpha'] } }, 'OUT_OF_SCOPE'],
    ['an approver limited to namespace payments approving an external tool declared for shop', { ...external, deciderScope: { namespaces: ['payments'] } }, 'OUT_OF_SCOPE'],
    ['an approver limited to namespace shop approving an external tool declared for beta, any namespace', { ...withCall({ tool: 'acme__rotate_keys', namespace: undefined }), deciderScope: { namespaces: ['shop'] } }, 'OUT_OF_SCOPE'],
    ['an approver scoped to beta approving an external tool declared there', { ...external, deciderScope: { clusters: ['beta'] } }, undefined],
    ['an approver limited to cluster alpha approving an external tool declared nowhere', { ...pinnedToAlpha, ...externalNowhere, deciderScope: { clusters: ['alpha'] } }, 'OUT_OF_SCOPE'],
    ['an approver limited to namespaces approving an external tool declared nowhere', { ...externalNowhere, deciderScope: { namespaces: ['shop'] } }, 'OUT_OF_SCOPE'],
    ['an unscoped approver approving an external tool declared nowhere', externalNowhere, undefined],
    ['an approver limited to cluster alpha denying an external tool declared nowhere', { ...pinnedToAlpha, ...externalNowhere, deciderScope: { clusters: ['alpha'] }, request: { approve: false } }, undefined],
    ["one of Skyflo's own tools with no cluster (an MCP server from before clusters) is not an external one", { ...pinnedToAlpha, ...withCall({ cluster: undefined }), deciderScope: { clusters: ['alpha'] } }, undefined],
    ['an approver limited to namespace payments approving in shop', { deciderScope: { namespaces: ['payments'] } }, 'OUT_OF_SCOPE'],
    ['an approver limited to cluster alpha denying on beta', { ...pinnedToAlpha, deciderScope: { clusters: ['alpha'] }, request: { approve: false } }, undefined],
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
    // Issue 74 item 2: a Teams click names its clicker without proof: it never stands for a second person.
    ['a Teams click naming another approver approves a call someone else asked for', { request: { ...approve, unverifiedClicker: 'Teams' } }, 'APPROVE_IN_COMMAND_CENTER'],
    ['a Teams click naming another approver denies it', { request: { approve: false, unverifiedClicker: 'Teams' } }, undefined],
    ['a Teams click by the requester approves their own call (self mode)', { environment: { policy: 'self', fourEyes: true }, actor: { id: 'ann', role: 'member' }, request: { ...approve, unverifiedClicker: 'Teams' } }, undefined],
    ['a Teams click by the requester of a destructive call: four-eyes answers first', { actor: { id: 'ann', role: 'approver' }, ...withCall({ destructive: true }), request: { ...approve, unverifiedClicker: 'Teams' } }, 'NOT_ALLOWED_TO_DECIDE'],
    ["a Teams click naming the alert token's owner on the alert's call", { actor: { id: 'ann', role: 'approver' }, ...withCall({ requestedByAlert: 'pager' }), request: { ...approve, unverifiedClicker: 'Teams' } }, 'APPROVE_IN_COMMAND_CENTER'],
    // Issue 76 item 6: break-glass during a change freeze (the passkey itself is verified after the rules)
    ['a plain approval during a freeze', { freeze: yearEnd }, 'FROZEN'],
    ['a denial during a freeze', { freeze: yearEnd, request: { approve: false } }, undefined],
    ['the pending list during a freeze', { freeze: yearEnd, request: undefined }, 'FROZEN'],
    ["an approver's break-glass", { freeze: yearEnd, request: { ...approve, webauthn: true, breakGlass: { reason: 'INC-42' } } }, 'BREAK_GLASS_ADMIN_ONLY'],
    ["an admin's break-glass without a passkey", { freeze: yearEnd, actor: { id: 'zoe', role: 'admin' }, request: { ...approve, breakGlass: { reason: 'INC-42' } } }, 'BREAK_GLASS_PASSKEY_REQUIRED'],
    ["an admin's break-glass with a passkey assertion", { freeze: yearEnd, actor: { id: 'zoe', role: 'admin' }, request: { ...approve, webauthn: true, breakGlass: { reason: 'INC-42' } } }, undefined],
    ["an admin's break-glass by an API token with a device signature: the token scope still applies", { freeze: yearEnd, actor: { id: 'zoe', role: 'admin', apiToken: { name: 'cli', scopes: ['chat'] } }, request: { ...approve, deviceSignature: true, breakGlass: { reason: 'INC-42' } } }, 'TOKEN_SCOPE'],
    ["an admin's break-glass of their own destructive call: four-eyes still applies", { freeze: yearEnd, actor: { id: 'ann', role: 'admin' }, ...withCall({ destructive: true }), request: { ...approve, webauthn: true, breakGlass: { reason: 'INC-42' } } }, 'NOT_ALLOWED_TO_DECIDE'],
    ['a break-glass with no freeze holding', { actor: { id: 'zoe', role: 'admin' }, request: { ...approve, webauthn: true, breakGlass: { reason: 'INC-42' } } }, 'NOTHING_TO_BREAK'],
    ['a break-glass on a denial', { freeze: yearEnd, request: { approve: false, breakGlass: { reason: 'INC-42' } } }, 'BREAK_GLASS_NEEDS_APPROVAL'],
    ['a break-glass without a reason', { freeze: yearEnd, actor: { id: 'zoe', role: 'admin' }, request: { ...approve, webauthn: true, breakGlass: { reason: ' ' } } }, 'BREAK_GLASS_REASON_REQUIRED'],
    ['a break-glass while the emergency stop is on: the stop has no break-glass', { freeze: yearEnd, emergencyStop: { reason: 'incident', by: { id: 'zoe', email: 'zoe@example.com' }, since: new Date(0) }, actor: { id: 'zoe', role: 'admin' }, request: { ...approve, webauthn: true, breakGlass: { reason: 'INC-42' } } }, 'EMERGENCY_STOP'],
    ['another diff_hash', { request: { ...approve, diffHash: 'e'.repeat(64) } }, 'PREVIEW_MISMATCH'],
    ['an earlier call of the turn still waits', { earlierAwaiting: { callId: 'call_0', tool: 'k8s_delete' } }, 'DECIDE_IN_ORDER'],
    ['the pending list asks (no request) about a call while an earlier one of its turn waits', { earlierAwaiting: { callId: 'call_0', tool: 'k8s_delete' }, request: undefined }, 'DECIDE_IN_ORDER'],
    ['a denial while an earlier call waits', { earlierAwaiting: { callId: 'call_0', tool: 'k8s_delete' }, request: { approve: false } }, undefined],
    ['a failed preview, approved with a diff_hash it never had', withCall({ diffHash: undefined, risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }), 'PREVIEW_MISMATCH'],
    ['a failed preview, approved without a diff_hash and not acknowledged', { ...withCall({ diffHash: undefined, risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }), request: { approve: true, argsHash: 'a'.repeat(64) } }, 'PREVIEW_NOT_ACKNOWLEDGED'],
    ['a failed preview, acknowledged', { ...withCall({ diffHash: undefined, risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }), request: { approve: true, argsHash: 'a'.repeat(64), withoutPreview: true } }, undefined],
    ['a failed preview, denied', { ...withCall({ diffHash: undefined, risks: [{ code: previewFailedRiskCode, severity: 'high', message: 'no preview' }] }), request: { approve: false } }, undefined],
    // Issue 73 item 6: on a cluster that enforces approvals, a call without a preview can never run: not approvable.
    ['enforcing cluster, failed preview, approved without a preview', { ...enforcedNoPreview, request: { approve: true, argsHash: 'a'.repeat(64), withoutPreview: true } }, 'PREVIEW_REQUIRED'],
    ['enforcing cluster, failed preview, approved (not acknowledged)', { ...enforcedNoPreview, request: { approve: true, argsHash: 'a'.repeat(64) } }, 'PREVIEW_REQUIRED'],
    ['enforcing cluster, failed preview, approved with auto_revert and without a preview', { ...enforcedNoPreview, request: { approve: true, argsHash: 'a'.repeat(64), withoutPreview: true, autoRevert: true } }, 'PREVIEW_REQUIRED'],
    ['the pending list asks: enforcing cluster, failed preview', { ...enforcedNoPreview, request: undefined }, 'PREVIEW_REQUIRED'],
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
    ['the pending list asks: an approver limited to cluster alpha', { ...pinnedToAlpha, request: undefined, deciderScope: { clusters: ['alpha'] } }, 'OUT_OF_SCOPE'],
    ['the pending list asks: a chat token', { request: undefined, actor: { id: 'zoe', role: 'approver', apiToken: { name: 'cli', scopes: ['chat', 'approvals:read'] } } }, 'TOKEN_SCOPE'],
  ])('%s', (_name, patch, code) => {
    expect(decide({ ...base, ...patch })?.code).toBe(code);
  });

  it('answers with the status and words the API sends', () => {
    expect(decide({ ...base, ...pinnedToAlpha, deciderScope: { clusters: ['alpha'] } })).toEqual({
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

  it('a call that cannot be approved without a preview is refused with the card\'s own words (409 PREVIEW_REQUIRED)', () => {
    expect(decide({ ...base, ...enforcedNoPreview, request: { approve: true, argsHash: 'a'.repeat(64), withoutPreview: true } })).toEqual({
      status: 409,
      code: 'PREVIEW_REQUIRED',
      reason: 'Tool call call_1 cannot be approved. The dry-run preview failed (403 forbidden). Cluster beta enforces approvals: fix the cause and ask again, or deny it.',
    });
  });

  it('a call that cannot be approved without a preview is still denied, and who may decide it answers first', () => {
    const approveBlind = { approve: true, argsHash: 'a'.repeat(64), withoutPreview: true };
    expect(decide({ ...base, ...enforcedNoPreview, request: approveBlind })?.code).toBe('PREVIEW_REQUIRED');
    // a denial clears it from the queue
    expect(decide({ ...base, ...enforcedNoPreview, request: { approve: false } })).toBeUndefined();
    // someone who may not decide it is told that first (they could not deny it either)
    expect(decide({ ...base, ...enforcedNoPreview, actor: { id: 'ann', role: 'approver' }, request: approveBlind })?.code).toBe('NOT_ALLOWED_TO_DECIDE');
    expect(decide({ ...base, ...enforcedNoPreview, deciderScope: { namespaces: ['payments'] }, request: undefined })?.code).toBe('OUT_OF_SCOPE');
  });

  it('a rule that throws refuses instead of letting the decision through', () => {
    const broken = () => {
      throw new Error('boom');
    };
    expect(decide(base, [broken, ...decideRules])).toMatchObject({ status: 403, code: 'DECISION_CHECK_FAILED' });
  });
});
