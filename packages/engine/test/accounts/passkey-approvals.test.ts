/**
 * Passkeys for risky approvals (issue 35), the whole engine (APPROVAL_POLICY=approver, PGlite, llm-sim, slack-sim)
 * with a software authenticator (node:crypto ECDSA P-256: real attestationObject, authenticatorData, clientDataJSON
 * and signature) verified by SimpleWebAuthn as a browser's passkey would be:
 * - registering needs a fresh sign-in; the key and its audit record land together; the other admins are told;
 * - a destructive call on a cluster labelled production refuses a plain approval, a Slack click and an API token with
 *   403 PASSKEY_REQUIRED naming where to approve; the pending list says passkey_required;
 * - an assertion made for one call does not approve another (different diff_hash), nor does a replayed counter;
 * - the approver's assertion over the call's facts approves it, and is stored with the decision and in its audit record.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { canonicalJson } from '@skyflo/protocol';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { approveBody, recordProdCall } from '../support/passkey-calls.ts';
import { createSoftwareAuthenticator, type SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { openNotificationStream, startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const ORIGIN = 'http://localhost:5173';
const SIGNING_SECRET = 'slack-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-skyflo-test-token-9876';

let sim: LlmSim;
let slack: SlackSim;
let team: TeamEngine;
let admin: string;
let ann: string;
let mia: string;
let annAuthenticator: SoftwareAuthenticator;
const hex = (digit: string) => digit.repeat(64);



/** Asks the engine for the call's passkey options and signs them with `authenticator`. */
async function signedApproval(token: string, call: { conversationId: string; callId: string }, authenticator: SoftwareAuthenticator) {
  const options = await team.call(token, 'POST', `/approvals/${call.callId}/passkey-options`, { conversation_id: call.conversationId });
  expect(options.statusCode, options.body).toBe(200);
  const { options: requestOptions, expires_at } = options.json() as { options: { challenge: string; rpId: string }; expires_at: string };
  return { options: requestOptions, webauthn: { expires_at, assertion: authenticator.assert(requestOptions, ORIGIN) } };
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'Done.' }] });
  slack = await startSlackSim({ botToken: BOT_TOKEN });
  team = await startTeamEngine(sim, { APPROVAL_POLICY: 'approver', PUBLIC_URL: ORIGIN });
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  ann = await team.member(admin, 'ann@example.com', 'approver');
  slack.addUser('U_ANN', 'ann@example.com');
  const connected = await team.call(admin, 'POST', '/integrations', { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: BOT_TOKEN, signing_secret: SIGNING_SECRET } });
  expect(connected.statusCode, connected.body).toBe(201);
}, 120_000);

afterAll(async () => {
  await team?.close();
  await slack?.close();
  await sim?.close();
});

describe('registering a passkey', () => {
  it('needs a fresh sign-in: a session renewed by its refresh token is told to sign in again', async () => {
    const issued = await team.call(ann, 'POST', '/auth/refresh/issue');
    const renewed = await team.engine.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: issued.json().refresh_token } });
    expect(renewed.statusCode, renewed.body).toBe(200);
    const refused = await team.call(renewed.json().access_token as string, 'POST', '/auth/passkeys/registration-options');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'FRESH_SIGN_IN_REQUIRED', detail: expect.stringMatching(/sign in again/) });
  });

  it('registers, lists and audits the key with its public key; the other admins are told', async () => {
    const adminStream = await openNotificationStream(team.baseUrl, admin);
    annAuthenticator = createSoftwareAuthenticator();
    const options = await team.call(ann, 'POST', '/auth/passkeys/registration-options');
    expect(options.statusCode, options.body).toBe(200);
    const { options: creation, registration_token } = options.json() as { options: { challenge: string; rp: { id: string; name: string }; user: { id: string } }; registration_token: string };
    expect(creation.rp).toEqual({ id: 'localhost', name: 'Skyflo' });
    const registered = await team.call(ann, 'POST', '/auth/passkeys', { name: 'Ann laptop', registration_token, response: annAuthenticator.register(creation, ORIGIN) });
    expect(registered.statusCode, registered.body).toBe(201);
    expect(registered.json()).toMatchObject({ name: 'Ann laptop', credential_id: annAuthenticator.credentialId, last_used_at: null });
    expect((await team.call(ann, 'GET', '/auth/passkeys')).json().data).toHaveLength(1);
    const rows = (await team.lite.query<{ credential_id: string; counter: string }>('SELECT credential_id, counter FROM passkeys')).rows;
    expect(rows).toEqual([{ credential_id: annAuthenticator.credentialId, counter: 0 }]);
    const audit = (await team.lite.query<{ action: string; details: Record<string, unknown> }>("SELECT action, details FROM audit_events WHERE action = 'passkey.registered'")).rows;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ name: 'Ann laptop', credential_id: annAuthenticator.credentialId, rp_id: 'localhost', role: 'approver', public_key: expect.any(String) });
    await vi.waitFor(() => expect(adminStream.notifications()).toEqual([expect.objectContaining({ kind: 'passkey.registered', summary: expect.stringContaining('ann@example.com registered a new passkey "Ann laptop"') })]));
    adminStream.close();
    // the same registration answer again is refused (the key is already registered)
    const again = await team.call(ann, 'POST', '/auth/passkeys', { name: 'again', registration_token, response: annAuthenticator.register(creation, ORIGIN) });
    expect(again.statusCode).toBe(409);
  });
});

describe('approving a destructive call on production', () => {
  it('the queue says passkey_required; a plain approval and an API token are refused with PASSKEY_REQUIRED', async () => {
    const call = await recordProdCall(team, 'plain');
    const entry = ((await team.call(ann, 'GET', '/approvals/pending')).json().data as Array<Record<string, unknown>>).find((item) => item['call_id'] === call.callId);
    expect(entry).toMatchObject({ passkey_required: true, can_decide: true });

    const plain = await team.call(ann, 'POST', `/agent/approvals/${call.callId}`, approveBody(call));
    expect(plain.statusCode).toBe(403);
    expect(plain.json().code).toBe('PASSKEY_REQUIRED');
    expect(plain.json().detail).toContain(`Approve it in the Command Center with your passkey: ${ORIGIN}/approvals?call=${call.callId}&conversation=${call.conversationId}`);

    for (const scopes of [['chat', 'approvals:read'], ['chat', 'approvals:write']]) {
      const token = (await team.call(ann, 'POST', '/auth/tokens', { name: `ann ${scopes.join(' ')}`, scopes })).json().token as string;
      const byToken = await team.call(token, 'POST', `/agent/approvals/${call.callId}`, approveBody(call));
      expect(byToken.statusCode).toBe(403);
      expect(byToken.json()).toMatchObject({ code: 'PASSKEY_REQUIRED', detail: expect.stringContaining('cannot approve it') });
    }
    // a token cannot even ask for the options (passkey routes are for a person in a browser)
    expect((await team.call((await team.call(ann, 'POST', '/auth/tokens', { name: 'ann w', scopes: ['approvals:write'] })).json().token as string, 'POST', `/approvals/${call.callId}/passkey-options`, { conversation_id: call.conversationId })).statusCode).toBe(403);
    expect((await team.engine.engine.storage.approvals.get(call.conversationId, call.callId))?.status).toBe('awaiting');
  });

  it('a Slack click for it is refused, even when signed by the app', async () => {
    const call = await recordProdCall(team, 'slack');
    const forged = { ts: '1.000', channel: 'C_OPS', text: '', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'approve', value: JSON.stringify({ conversation_id: call.conversationId, call_id: call.callId }) }] }] };
    const click = await slack.click({ url: `${team.baseUrl}/api/v1/integrations/slack/interactions`, signingSecret: SIGNING_SECRET, userId: 'U_ANN', message: forged as never, actionId: 'approve' });
    expect(click.status).toBe(200);
    await vi.waitFor(() => expect(slack.ephemeral.at(-1)?.text).toContain(`PASSKEY_REQUIRED: tool call ${call.callId} needs the approver's passkey`));
    expect(slack.ephemeral.at(-1)?.text).toContain(`${ORIGIN}/approvals?call=${call.callId}`);
    expect((await team.engine.engine.storage.approvals.get(call.conversationId, call.callId))?.status).toBe('awaiting');
  });

  it('an assertion made for one call does not approve another with a different diff_hash', async () => {
    const first = await recordProdCall(team, 'first');
    const other = await recordProdCall(team, 'other', { diffHash: hex('e') });
    const { webauthn } = await signedApproval(ann, first, annAuthenticator);
    // the same assertion (and expiry) sent for the other call: its challenge is the other call's facts
    const misused = await team.call(ann, 'POST', `/agent/approvals/${other.callId}`, approveBody(other, { webauthn }));
    expect(misused.statusCode).toBe(403);
    expect(misused.json()).toMatchObject({ code: 'PASSKEY_INVALID', detail: expect.stringMatching(/does not approve this call/) });
    expect((await team.engine.engine.storage.approvals.get(other.conversationId, other.callId))?.status).toBe('awaiting');
  });

  it("the approver's assertion approves it; stored with the decision and in its audit record; a replayed counter is refused", async () => {
    const call = await recordProdCall(team, 'signed');
    const { options, webauthn } = await signedApproval(ann, call, annAuthenticator);
    // the challenge is the call's facts, as documented: anyone with the row can recompute it
    const facts = { callId: call.callId, tool: 'k8s_delete', argsHash: call.argsHash, diffHash: call.diffHash, cluster: 'prod', server: 'https://prod.example.test', expiresAt: webauthn.expires_at, conversationId: call.conversationId };
    expect(options.challenge).toBe(createHash('sha256').update(canonicalJson(facts)).digest('base64url'));
    const approved = await team.call(ann, 'POST', `/agent/approvals/${call.callId}`, approveBody(call, { webauthn }));
    expect(approved.statusCode, approved.body).toBe(200);
    const row = await team.engine.engine.storage.approvals.get(call.conversationId, call.callId);
    expect(row?.status).not.toBe('awaiting');
    const assertion = webauthn.assertion as { id: string; response: Record<string, string> };
    const stored = {
      credential_id: assertion.id,
      authenticator_data: assertion.response['authenticatorData'],
      client_data_json: assertion.response['clientDataJSON'],
      signature: assertion.response['signature'],
      user_handle: assertion.response['userHandle'],
      signed_facts: facts,
      challenge: options.challenge,
      rp_id: 'localhost',
      origin: ORIGIN,
      user_verified: true,
    };
    expect(row?.passkeyAssertion).toMatchObject(stored);
    const audit = (await team.lite.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_events WHERE action = 'approval.approved' AND subject_id = $1", [call.callId])).rows;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details['passkey_assertion']).toMatchObject(stored);
    expect(Number((await team.lite.query<{ counter: string }>('SELECT counter FROM passkeys')).rows[0]!.counter)).toBe(annAuthenticator.counter);

    // an authenticator whose counter goes back (a replayed or cloned one) approves nothing
    const next = await recordProdCall(team, 'replayed');
    annAuthenticator.counter -= 1;
    const { webauthn: replayed } = await signedApproval(ann, next, annAuthenticator);
    const refused = await team.call(ann, 'POST', `/agent/approvals/${next.callId}`, approveBody(next, { webauthn: replayed }));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('PASSKEY_REPLAYED');
    expect((await team.engine.engine.storage.approvals.get(next.conversationId, next.callId))?.status).toBe('awaiting');
  });

  it('an admin can turn the requirement off for the cluster (audited); a plain approval then goes through', async () => {
    const put = (token: string) => team.engine.request({ method: 'PUT', url: '/api/v1/clusters/passkey-policies', token, payload: { policies: [{ cluster: 'prod', mode: 'never' }] } });
    expect((await put(ann)).statusCode).toBe(403);
    const changed = await put(admin);
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().policies).toContainEqual({ cluster: 'prod', mode: 'never', source: 'setting' });
    const call = await recordProdCall(team, 'after_policy');
    const plain = await team.call(ann, 'POST', `/agent/approvals/${call.callId}`, approveBody(call));
    expect(plain.statusCode, plain.body).toBe(200);
    expect((await team.lite.query("SELECT 1 FROM audit_events WHERE action = 'clusters.passkey_policies_changed'")).rows).toHaveLength(1);
  });

  it("Slack posts a call that needs a passkey with a link to its approval page, not Approve / Deny", async () => {
    const changed = await team.engine.request({ method: 'PUT', url: '/api/v1/clusters/passkey-policies', token: admin, payload: { policies: [{ cluster: '*', mode: 'every_approval' }] } });
    expect(changed.statusCode, changed.body).toBe(200);
    sim.reset({
      rules: [
        { match: { toolName: 'load_toolset', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
        { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      ],
    });
    const chat = await team.call(mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] });
    expect(chat.body).toContain('tool.awaiting_approval');
    await vi.waitFor(() => expect(slack.messages.size).toBe(1));
    const message = [...slack.messages.values()][0]!;
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain(`"url":"${ORIGIN}/approvals?call=call_scale&conversation=`);
    expect(blocks).toContain('Review and approve in Skyflo');
    expect(blocks).not.toMatch(/"action_id":"(approve|deny)"/);
  });
});
